package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.ControlPlane;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real nodes of one run and what they share on the host: the offline images, the API server's
 * Service address ({@link ApiServiceForwarder}) and the kernel settings their kubelets change
 * ({@link HostSysctls}). {@link #close()} stops every node and then puts the host back; a shutdown
 * hook does the same when the JVM ends without it (Ctrl-C on the local cluster).
 */
public final class RealNodes implements AutoCloseable {

  private final NodeBinaries binaries;
  private final HostSysctls sysctls;
  private final ApiServiceForwarder forwarder;
  private final List<Path> images;
  private final List<RealNode> nodes = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::stop, "gpudra-real-nodes-teardown");
  private boolean stopped;
  private int extra;

  private RealNodes(
      NodeBinaries binaries,
      HostSysctls sysctls,
      ApiServiceForwarder forwarder,
      List<Path> images) {
    this.binaries = binaries;
    this.sysctls = sysctls;
    this.forwarder = forwarder;
    this.images = images;
  }

  /**
   * Starts one real node per entry of {@code profiles} (node name -> mock NVML profile), in order,
   * with the offline images and {@code extraImages} (OCI tars, e.g. the driver's image) imported.
   * Prints the kubelet's, containerd's and runc's versions. On failure stops whatever started.
   */
  public static RealNodes start(
      ControlPlane plane, Map<String, String> profiles, List<Path> extraImages) {
    NodeBinaries binaries = NodeBinaries.locate();
    ControlPlane.log("real nodes: " + binaries.versions());
    List<Path> images = new ArrayList<>();
    try {
      images.addAll(
          OfflineImages.write(
              binaries.busybox(), plane.workDir().toAbsolutePath().resolve("images")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the offline images", e);
    }
    images.addAll(extraImages);
    ApiServiceForwarder forwarder =
        ApiServiceForwarder.start(plane.client().getMasterUrl().getPort());
    // Taken last before the set exists, so every path that follows restores it (close, a failed
    // start, the shutdown hook).
    HostSysctls sysctls = HostSysctls.snapshot();
    if (sysctls.fromEarlierRun()) {
      ControlPlane.log(
          "real nodes: an earlier run did not restore the host's kernel settings; restoring "
              + sysctls.saved()
              + " when these nodes stop");
    }
    RealNodes set = new RealNodes(binaries, sysctls, forwarder, List.copyOf(images));
    Runtime.getRuntime().addShutdownHook(set.shutdownHook);
    try {
      int index = 1;
      for (Map.Entry<String, String> node : profiles.entrySet()) {
        long begin = System.nanoTime();
        set.nodes.add(
            RealNode.start(plane, binaries, set.images, node.getKey(), node.getValue(), index++));
        ControlPlane.log(
            "real node "
                + node.getKey()
                + " ("
                + node.getValue()
                + ") Ready in "
                + (System.nanoTime() - begin) / 1_000_000
                + " ms");
      }
      return set;
    } catch (RuntimeException e) {
      set.close();
      throw e;
    }
  }

  /**
   * Starts one more node on the same terms, which the caller closes; for scenarios about a node's
   * own life (its teardown, a failed start).
   */
  public RealNode startNode(ControlPlane plane, String name, String profile) {
    return RealNode.start(plane, binaries, images, name, profile, EXTRA_INDEX + extra++);
  }

  /** How many nodes {@link #startNode} started (or tried to), which numbers the next one. */
  public int extraNodesStarted() {
    return extra;
  }

  /** The node index of the first node {@link #startNode} starts. */
  public static final int EXTRA_INDEX = 100;

  /** The nodes, in start order. */
  public List<RealNode> nodes() {
    return List.copyOf(nodes);
  }

  /** The node named {@code name}. */
  public RealNode node(String name) {
    return nodes.stream()
        .filter(n -> n.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no real node " + name));
  }

  /** The binaries the nodes run. */
  public NodeBinaries binaries() {
    return binaries;
  }

  /** PIDs of every node's kubelet and containerd, labelled, for memory reports. */
  public Map<String, Long> pids() {
    Map<String, Long> pids = new LinkedHashMap<>();
    nodes.forEach(n -> pids.putAll(n.pids()));
    return pids;
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down and runs the hook itself
    }
  }

  private synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    RuntimeException failure = null;
    for (RealNode node : nodes.reversed()) {
      try {
        node.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    try {
      forwarder.close();
    } catch (RuntimeException e) {
      failure = failure == null ? e : failure;
    }
    // Last, after every kubelet is gone, and whatever failed before: the host comes first.
    try {
      Map<String, String> restored = sysctls.restore();
      if (!restored.isEmpty()) {
        ControlPlane.log("real nodes stopped; kernel settings restored: " + restored);
      }
    } catch (RuntimeException e) {
      failure = failure == null ? e : failure;
    }
    if (failure != null) {
      throw failure;
    }
  }
}
