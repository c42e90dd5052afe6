package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A private mount namespace for one node's containerd and kubelet, in which the node's own
 * directories are bound over {@code /run}, {@code /var/lib} and {@code /var/log}. Two kubelets (and
 * two containerds) on one host otherwise collide on fixed paths ({@code /run/containerd}, {@code
 * /var/lib/kubelet/device-plugins}, {@code /var/lib/kubelet/pki}, {@code /var/log/containers},
 * {@code /var/lib/cni}), and the chart's default host paths can stay as they are. The network
 * namespace stays the host's, so the API server reaches the kubelet and the kubelet the pods.
 *
 * <p>A {@code sleep} process holds the namespace ({@code unshare --mount --propagation private}),
 * components join it with {@code nsenter}. Everything mounted inside (the binds, the kubelet's own
 * mounts, containerd's network-namespace files) disappears with the last process in it, so {@link
 * #close()} kills exactly the processes in this namespace, by PID.
 */
final class MountNamespace implements AutoCloseable {

  private static final Duration READY = Duration.ofSeconds(30);

  private final ComponentProcess holder;
  private final String id;

  private MountNamespace(ComponentProcess holder, String id) {
    this.holder = holder;
    this.id = id;
  }

  /**
   * Creates the namespace, binding {@code binds} (directory of the node -> path it covers, e.g.
   * {@code /run}) in order, and waits until the binds are in place.
   */
  static MountNamespace create(String node, Map<Path, String> binds, Path log) {
    StringBuilder script = new StringBuilder("set -e\n");
    // -n: libmount's utab would otherwise go to the host's /run/mount before /run is bound.
    binds.forEach(
        (source, target) ->
            script
                .append("mount -n --bind '")
                .append(source)
                .append("' ")
                .append(target)
                .append('\n'));
    script.append("echo namespace-ready\nexec sleep infinity\n");
    ComponentProcess holder =
        ComponentProcess.start(
            node + "-mount-namespace",
            List.of(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                script.toString()),
            log);
    try {
      Poll.until(
          node + " mount namespace ready",
          READY,
          Duration.ofMillis(50),
          () -> {
            holder.requireAlive();
            return holder.tail(5);
          },
          tail -> tail.contains("namespace-ready"));
      String ns =
          Files.readSymbolicLink(Path.of("/proc", Long.toString(holder.pid()), "ns/mnt"))
              .toString();
      return new MountNamespace(holder, ns);
    } catch (IOException | RuntimeException e) {
      holder.close();
      throw new IllegalStateException(
          "cannot create the mount namespace of node " + node + ":\n" + holder.tail(20), e);
    }
  }

  /** {@code command} prefixed to run inside this namespace. */
  List<String> enter(List<String> command) {
    List<String> full =
        new ArrayList<>(List.of("nsenter", "--mount=/proc/" + holder.pid() + "/ns/mnt", "--"));
    full.addAll(command);
    return full;
  }

  /**
   * PIDs of every process in this namespace except the holder: the shims containerd leaves running,
   * and whatever else a component started.
   */
  List<Long> processes() {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .map(p -> p.getFileName().toString())
          .filter(n -> n.chars().allMatch(Character::isDigit))
          .map(Long::parseLong)
          .filter(pid -> pid != holder.pid())
          .filter(pid -> namespaceOf(pid).filter(id::equals).isPresent())
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * The processes that descend from this namespace's processes but run in mount namespaces of their
   * own: the containers that containerd's shims started.
   */
  List<ProcessHandle> containerProcesses() {
    return processes().stream()
        .flatMap(pid -> ProcessHandle.of(pid).stream())
        .flatMap(ProcessHandle::descendants)
        .filter(p -> namespaceOf(p.pid()).filter(id::equals).isEmpty())
        .distinct()
        .toList();
  }

  private static Optional<String> namespaceOf(long pid) {
    try {
      return Optional.of(
          Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns/mnt")).toString());
    } catch (IOException | SecurityException e) {
      return Optional.empty(); // gone meanwhile, or a kernel thread
    }
  }

  /** Kills every process in the namespace (SIGKILL), then the holder, ending the namespace. */
  @Override
  public void close() {
    for (Long pid : processes()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    Poll.until(
        "processes of " + holder + " gone",
        READY,
        Duration.ofMillis(100),
        this::processes,
        List::isEmpty);
    holder.close();
  }
}
