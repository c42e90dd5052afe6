package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Poll;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A fake-GPU node with a real container runtime and a real kubelet: containerd (runc, CNI bridge,
 * CDI on) and the kubelet run on this host in the node's own mount namespace ({@link
 * MountNamespace}), serve pods of the real API server, and run their containers; the GPUs are the
 * mock NVML profile's, with device nodes made by {@code mknod} (major 195 and the profile's minors,
 * {@code nvidiactl}, {@code nvidia-uvm}) and the fake driver root, {@code /proc} and {@code /sys}
 * of the test kit's {@link FakeNode}. Whatever runs on the node (our kubelet plugin included) comes
 * as a pod.
 *
 * <p>Inside the node, the fake GPU files lie at {@link #FAKE_ROOT} and the profile the mock NVML
 * library should serve at {@link #MOCK_PROFILE}, the same paths on every node, so one set of chart
 * values serves nodes with different GPUs.
 *
 * <p>Started and stopped by PID. {@link #close()} leaves the host as found: the processes in the
 * node's mount namespace and cgroups are killed, the cgroups, the CNI bridge, the node's address
 * and its files removed, and its Node deleted.
 */
public final class RealNode implements AutoCloseable {

  /** Inside the node: the fake driver root's parent ({@code driver/}, {@code dev/}, ...). */
  public static final String FAKE_ROOT = "/var/lib/gpudra-node";

  /** Inside the node: the mock NVML profile file, in the chart's default mock state directory. */
  public static final String MOCK_PROFILE = "/var/lib/gpudra/mock-nvml/node.profile";

  private static final Duration CONTAINERD_READY = Duration.ofMinutes(1);
  private static final Duration NODE_READY = Duration.ofMinutes(3);
  private static final Duration CTR = Duration.ofMinutes(2);

  private final KubernetesClient client;
  private final NodeBinaries binaries;
  private final String name;
  private final String profile;
  private final Path state;
  private final Path logs;
  private final String bridge;
  private final Map<ComponentProcess, List<String>> commands = new LinkedHashMap<>();
  private ComponentProcess containerd;
  private ComponentProcess kubelet;
  private MountNamespace namespace;
  private HostAddress address;
  private List<String> containerCgroups = List.of();
  private List<ProcessHandle> containersAtTeardown = List.of();

  private RealNode(
      KubernetesClient client,
      NodeBinaries binaries,
      String name,
      String profile,
      int index,
      Path state,
      Path logs) {
    this.client = client;
    this.binaries = binaries;
    this.name = name;
    this.profile = profile;
    this.state = state;
    this.logs = logs;
    this.bridge = "gpudra" + index;
  }

  /**
   * Starts node {@code name} serving mock NVML {@code profile}, as the {@code index}-th real node
   * of the run (its address, port, bridge and pod subnet derive from it; 1..200), with {@code
   * images} (OCI tars) imported into its containerd, and waits until the Node is Ready. On failure,
   * prints the failing component's command and last log lines and stops everything it started.
   */
  public static RealNode start(
      ControlPlane plane,
      NodeBinaries binaries,
      List<Path> images,
      String name,
      String profile,
      int index) {
    if (index < 1 || index > 200) {
      throw new IllegalArgumentException("node index 1..200, got " + index);
    }
    RealNode node;
    try {
      // Short: containerd's sockets live here, and unix socket paths end at 108 bytes.
      Path state = Files.createTempDirectory(Path.of("/tmp"), "gpudra-node-" + index + "-");
      Path logs = Files.createDirectories(plane.workDir().toAbsolutePath().resolve("nodes"));
      node = new RealNode(plane.client(), binaries, name, profile, index, state, logs);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the state of node " + name, e);
    }
    try {
      node.boot(plane, images, index);
      return node;
    } catch (IOException | RuntimeException e) {
      node.printFailure(e);
      node.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  private void boot(ControlPlane plane, List<Path> images, int index) throws IOException {
    Path run = Files.createDirectories(state.resolve("ns/run"));
    Path varLib = Files.createDirectories(state.resolve("ns/var-lib"));
    Path varLog = Files.createDirectories(state.resolve("ns/var-log"));
    FakeDriverRoot.create(varLib, name, profile, binaries.busybox());
    Files.createDirectories(state.resolve("cni/net.d"));
    Files.writeString(state.resolve("containerd.toml"), NodeConfigs.containerd(state, binaries));
    Files.writeString(
        state.resolve("cni/net.d/10-gpudra.conflist"),
        NodeConfigs.cni(state, bridge, "10.244." + index + ".0/24"));
    String ip = "10.255.0." + index;
    address = HostAddress.add(ip);
    Files.writeString(state.resolve("kubelet.yaml"), NodeConfigs.kubelet(state, ip, 10250 + index));

    Map<Path, String> binds = new LinkedHashMap<>();
    binds.put(run, "/run"); // first: mount(8) keeps state under /run
    binds.put(varLib, "/var/lib");
    binds.put(varLog, "/var/log");
    namespace = MountNamespace.create(name, binds, logs.resolve(name + "-namespace.log"));

    containerd =
        component(
            "containerd",
            List.of(
                binaries.containerd().toString(),
                "--config",
                state.resolve("containerd.toml").toString()));
    Poll.until(
        name + " containerd ready",
        CONTAINERD_READY,
        Duration.ofMillis(100),
        () -> {
          containerd.requireAlive();
          return ctr(List.of("version")).exitCode();
        },
        code -> code == 0);
    for (Path image : images) {
      importImage(image);
    }
    kubelet = startKubelet(plane);
    awaitReady();
  }

  private ComponentProcess startKubelet(ControlPlane plane) {
    return component(
        "kubelet",
        List.of(
            binaries.kubelet().toString(),
            "--config=" + state.resolve("kubelet.yaml"),
            "--kubeconfig=" + plane.kubeconfig().toAbsolutePath(),
            "--hostname-override=" + name,
            "--node-ip=" + address.address(),
            "--v=2"));
  }

  private ComponentProcess component(String what, List<String> command) {
    List<String> full = namespace.enter(command);
    ComponentProcess process =
        ComponentProcess.start(name + "-" + what, full, logs.resolve(name + "-" + what + ".log"));
    commands.put(process, full);
    return process;
  }

  /** Imports an OCI image tar into the node's containerd, where the kubelet's pods find it. */
  public void importImage(Path tar) {
    Command result =
        ctr(List.of("-n", "k8s.io", "images", "import", tar.toAbsolutePath().toString()));
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "node " + name + ": ctr images import " + tar + " failed:\n" + result.stderr());
    }
  }

  private Command ctr(List<String> args) {
    List<String> command =
        new ArrayList<>(
            List.of(binaries.ctr().toString(), "-a", state.resolve("containerd.sock").toString()));
    command.addAll(args);
    return Command.run(CTR, Map.of(), command);
  }

  private void awaitReady() {
    Poll.until(
        "node " + name + " Ready",
        NODE_READY,
        Duration.ofMillis(250),
        () -> {
          containerd.requireAlive();
          kubelet.requireAlive();
          return client.nodes().withName(name).get();
        },
        RealNode::isReady);
    // No node-lifecycle controller runs to lift the taint a kubelet registers with.
    client
        .nodes()
        .withName(name)
        .edit(
            n -> {
              if (n.getSpec().getTaints() != null) {
                n.getSpec()
                    .getTaints()
                    .removeIf(t -> "node.kubernetes.io/not-ready".equals(t.getKey()));
              }
              return n;
            });
  }

  private static boolean isReady(Node node) {
    if (node == null || node.getStatus() == null || node.getStatus().getConditions() == null) {
      return false;
    }
    for (NodeCondition condition : node.getStatus().getConditions()) {
      if ("Ready".equals(condition.getType())) {
        return "True".equals(condition.getStatus());
      }
    }
    return false;
  }

  /**
   * Stops the node's kubelet (SIGTERM) and starts it again with the same configuration, as an
   * upgrade or a crash would: containerd and the pods' containers keep running, the kubelet finds
   * them and its checkpoints again. Waits until the Node is Ready; its log goes on in {@link
   * #kubeletLog()}.
   */
  public void restartKubelet(ControlPlane plane) {
    kubelet.close();
    commands.remove(kubelet);
    kubelet = startKubelet(plane);
    awaitReady();
  }

  /** The node's name. */
  public String name() {
    return name;
  }

  /** The mock NVML profile the node's GPUs come from. */
  public String profile() {
    return profile;
  }

  /** The node's CDI spec directory as seen from the host. */
  public Path cdiDir() {
    return state.resolve("ns/run/cdi");
  }

  /**
   * The mock NVML state file of the chart's plugin on this node ({@code fakeGpu.stateDir}, named
   * after {@link #MOCK_PROFILE}) as seen from the host: its fault log next to it raises faults in
   * the plugin's NVML ({@code MockNvmlFaults.forState}).
   */
  public Path mockNvmlStateFile() {
    return state.resolve("ns/var-lib/gpudra/mock-nvml/node.state");
  }

  /** The kubelet's log. */
  public Path kubeletLog() {
    return kubelet.log();
  }

  /** The kubelet's, containerd's and every container process's PIDs, for memory reports. */
  public Map<String, Long> pids() {
    Map<String, Long> pids = new LinkedHashMap<>();
    if (kubelet != null) {
      pids.put(name + " kubelet", kubelet.pid());
    }
    if (containerd != null) {
      pids.put(name + " containerd", containerd.pid());
    }
    if (namespace != null) {
      for (ProcessHandle process : namespace.containerProcesses()) {
        pids.put(name + " " + role(process) + " " + process.pid(), process.pid());
      }
    }
    return pids;
  }

  /**
   * What a container process is, for memory tables: our plugin's or controller's JVM by its main
   * class, else {@code container <command>}.
   */
  private static String role(ProcessHandle process) {
    List<String> args = List.of(process.info().arguments().orElse(new String[0]));
    if (args.contains("dev.gpudra.plugin.Main")) {
      return "plugin";
    }
    if (args.contains("dev.gpudra.controller.Main")) {
      return "controller";
    }
    return "container "
        + process.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("?");
  }

  /**
   * What of this node is visible on the host outside its state: its containers' processes and
   * cgroups, its CNI bridge, its address, its state directory, and a host {@code /run/containerd}
   * or {@code /var/lib/kubelet} (which only the mount namespace keeps away). Empty once {@link
   * #close()} has run.
   */
  public List<String> hostTraces() {
    List<String> traces = new ArrayList<>();
    for (String cgroup : ContainerCgroups.existing(containerCgroups)) {
      traces.add("cgroup " + cgroup);
    }
    if (namespace != null) {
      namespace.containerProcesses().forEach(p -> traces.add("container process " + p.pid()));
    }
    containersAtTeardown.stream()
        .filter(ProcessHandle::isAlive)
        .forEach(p -> traces.add("container process " + p.pid()));
    if (Files.exists(Path.of("/sys/class/net", bridge))) {
      traces.add("network interface " + bridge);
    }
    String addresses =
        Command.check(Duration.ofSeconds(10), "ip", "-4", "-o", "addr", "show", "dev", "lo")
            .stdout();
    if (address != null && addresses.contains(" " + address.address() + "/")) {
      traces.add("address " + address.address() + " on lo");
    }
    for (Path path : List.of(state, Path.of("/run/containerd"), Path.of("/var/lib/kubelet"))) {
      if (Files.exists(path)) {
        traces.add("path " + path);
      }
    }
    return traces;
  }

  private void printFailure(Exception cause) {
    StringBuilder report =
        new StringBuilder("node " + name + " failed to start: " + cause.getMessage());
    commands.forEach(
        (process, command) -> {
          if (!process.isAlive() || process == lastStarted()) {
            report
                .append("\n--- ")
                .append(process)
                .append(process.isAlive() ? " (running)" : " (exited)")
                .append("\ncommand: ")
                .append(String.join(" ", command))
                .append("\nlast lines of ")
                .append(process.log())
                .append(":\n")
                .append(process.tail(30));
          }
        });
    ControlPlane.log(report.toString());
  }

  private ComponentProcess lastStarted() {
    ComponentProcess last = null;
    for (ComponentProcess process : commands.keySet()) {
      last = process;
    }
    return last;
  }

  /** Stops everything the node started, each step even if an earlier one failed. */
  @Override
  public void close() {
    List<Exception> errors = new ArrayList<>();
    run(errors, () -> closeIfStarted(kubelet));
    // Found through the shims, so before containerd and its shims go.
    List<ProcessHandle> containers = namespace == null ? List.of() : namespace.containerProcesses();
    containersAtTeardown = containers;
    run(errors, () -> closeIfStarted(containerd));
    run(errors, () -> containerCgroups = ContainerCgroups.killAndRemove(containers));
    run(errors, () -> closeIfStarted(namespace));
    run(errors, () -> HostAddress.deleteLink(bridge));
    run(errors, () -> closeIfStarted(address));
    run(errors, () -> client.nodes().withName(name).delete());
    run(errors, () -> deleteTree(state));
    if (!errors.isEmpty()) {
      IllegalStateException failure =
          new IllegalStateException("node " + name + ": teardown incomplete");
      errors.forEach(failure::addSuppressed);
      throw failure;
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void run(List<Exception> errors, Step step) {
    try {
      step.run();
    } catch (Exception e) {
      errors.add(e);
    }
  }

  private static void closeIfStarted(AutoCloseable resource) throws Exception {
    if (resource != null) {
      resource.close();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public String toString() {
    return "real node " + name + " (" + profile + ", state " + state + ")";
  }
}
