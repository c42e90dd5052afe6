package dev.gpudra.e2e.nodes;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.FreePorts;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.RegisteredPlugin;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A GPU node of the e2e cluster without a machine behind it: a Node object kept Ready, our kubelet
 * plugin ({@code dev.gpudra.plugin.Main} in a JVM of its own) serving a mock NVML profile from a
 * fake driver root, {@code /dev} and {@code /proc}, talking to the real API server with the control
 * plane's kubeconfig, and a {@link NodeAgent} in the kubelet's place, registered with the plugin
 * through its registration socket. The plugin serves {@code /metrics} on a free port chosen for it
 * ({@link #metricsTarget()}).
 *
 * <p>The plugin publishes the node's ResourceSlices itself before it reports ready. {@link
 * #close()} stops exactly this node's plugin process and removes its slices, Node and files.
 */
public final class FakeGpuNode implements AutoCloseable {

  /** The DRA driver the plugin serves. */
  public static final String DRIVER = DriverNames.DRIVER;

  /**
   * The plugin's metrics port setting. The plugin runs in a JVM of its own, so the harness names
   * its settings as the chart does, by environment variable, rather than linking its classes.
   */
  private static final String METRICS_PORT_ENV = "GPUDRA_METRICS_PORT";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration PLUGIN_START = Duration.ofMinutes(2);

  private final KubernetesClient client;
  private final FakeNode files;
  private final String profile;
  private final Path pluginLog;
  private final int metricsPort;
  private PluginProcess plugin;
  private KubeletEmulator kubelet;
  private NodeAgent agent;
  private Duration startToRegistered;

  private FakeGpuNode(
      KubernetesClient client, FakeNode files, String profile, Path pluginLog, int metricsPort) {
    this.client = client;
    this.files = files;
    this.profile = profile;
    this.pluginLog = pluginLog;
    this.metricsPort = metricsPort;
  }

  /**
   * Creates node {@code name} serving the mock NVML {@code profile} (e.g. {@code a100-8x}) and
   * waits until its plugin is registered.
   */
  public static FakeGpuNode start(ControlPlane plane, String name, String profile)
      throws IOException {
    return start(plane, name, profile, Map.of());
  }

  /**
   * Like {@link #start(ControlPlane, String, String)}, with {@code pluginSettings} added to the
   * plugin's environment, e.g. {@code GPUDRA_DYNAMIC_MIG=true}.
   */
  public static FakeGpuNode start(
      ControlPlane plane, String name, String profile, Map<String, String> pluginSettings)
      throws IOException {
    return start(plane, name, profile, pluginSettings, PluginProcess.DEFAULT_JVM_OPTIONS);
  }

  /**
   * Like {@link #start(ControlPlane, String, String, Map)}, with the plugin's JVM run with {@code
   * jvmOptions} (e.g. the chart's heap and GC settings).
   */
  public static FakeGpuNode start(
      ControlPlane plane,
      String name,
      String profile,
      Map<String, String> pluginSettings,
      List<String> jvmOptions)
      throws IOException {
    return start(plane, name, profile, pluginSettings, jvmOptions, UnaryOperator.identity());
  }

  /**
   * Like {@link #start(ControlPlane, String, String, Map, List)}, with the plugin's launch changed
   * by {@code launchAs}: e.g. another class path (jars only, as an ahead-of-time cache needs) or
   * another Java runtime (the image's).
   */
  public static FakeGpuNode start(
      ControlPlane plane,
      String name,
      String profile,
      Map<String, String> pluginSettings,
      List<String> jvmOptions,
      UnaryOperator<PluginProcess.Launch> launchAs)
      throws IOException {
    // Unix socket paths are short (108 bytes), so the node's files live under /tmp.
    Path root = Files.createTempDirectory("gpudra-" + name + "-");
    Path logs = Files.createDirectories(plane.workDir().resolve("nodes"));
    FakeGpuNode node =
        new FakeGpuNode(
            plane.client(),
            FakeNode.create(root, name, profile),
            profile,
            logs.resolve(name + "-plugin.log"),
            FreePorts.take(1).getFirst());
    try {
      FakeNodes.createReady(plane.client(), name);
      Map<String, String> env = node.pluginEnv(plane.kubeconfig());
      env.putAll(pluginSettings);
      long launched = System.nanoTime();
      node.plugin =
          PluginProcess.start(
              launchAs.apply(PluginProcess.Launch.of(env)),
              jvmOptions,
              node.pluginLog,
              PLUGIN_START);
      node.kubelet = new KubeletEmulator(node.files.registryDir());
      List<Path> sockets = node.kubelet.discoverRegistrationSockets();
      if (sockets.size() != 1) {
        throw new IllegalStateException(
            "expected one registration socket on " + name + ", found " + sockets);
      }
      RegisteredPlugin registered = node.kubelet.register(sockets.getFirst());
      node.startToRegistered = Duration.ofNanos(System.nanoTime() - launched);
      node.agent =
          NodeAgent.start(
              plane.client(), name, DRIVER, DraCalls.of(registered), node.files.cdiDir());
      return node;
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
  }

  /**
   * From launching the plugin's JVM until the kubelet's registration call (GetInfo, then
   * NotifyRegistrationStatus) returned; the plugin publishes its slices before it registers.
   */
  public Duration startToRegistered() {
    return startToRegistered;
  }

  /** The plugin's process id (for {@code jcmd} and {@code /proc}). */
  public long pluginPid() {
    return plugin.pid();
  }

  /** The node's name, also its ResourceSlice pool. */
  public String name() {
    return files.nodeName();
  }

  /** The mock NVML profile the node serves, e.g. {@code a100-8x}. */
  public String profile() {
    return profile;
  }

  /** The directory the plugin writes CDI specs to. */
  public Path cdiDir() {
    return files.cdiDir();
  }

  /** The per-claim CDI spec file of claim {@code uid}. */
  public Path cdiSpec(String claimUid) {
    return files.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + claimUid + ".json");
  }

  /** Paths of every device node the CDI spec of claim {@code claimUid} gives a container. */
  public List<String> cdiDeviceNodePaths(String claimUid) throws IOException {
    List<String> paths = new ArrayList<>();
    for (JsonNode nodes :
        JSON.readTree(Files.readString(cdiSpec(claimUid))).findValues("deviceNodes")) {
      for (JsonNode deviceNode : nodes) {
        paths.add(deviceNode.get("path").stringValue());
      }
    }
    return paths;
  }

  /**
   * {@code host:port} of the plugin's {@code /metrics} and {@code /healthz}, as a Prometheus scrape
   * target. The plugin binds a port chosen here rather than {@code 0} (any free port), which it
   * would only name in its log.
   */
  public String metricsTarget() {
    return "127.0.0.1:" + metricsPort;
  }

  /**
   * Kills the plugin process (SIGKILL), as a crash would, and leaves the rest of the node: its
   * Node, its slices and the node agent stay. {@link #close()} still cleans up.
   */
  public void killPlugin() {
    if (plugin != null) {
      plugin.kill();
    }
  }

  /** The node's files: driver root, {@code /proc}, mock NVML state. */
  public FakeNode files() {
    return files;
  }

  /** The plugin's log. */
  public Path pluginLog() {
    return pluginLog;
  }

  /** The last {@code lines} lines of the plugin's log, for failure messages. */
  public String pluginLogTail(int lines) {
    return ComponentProcess.tail(pluginLog, lines);
  }

  /**
   * Every device the node's plugin has published in its ResourceSlices, as the API server has it.
   */
  public List<Device> publishedDevices() {
    return ourSlices().stream()
        .filter(s -> s.getSpec().getDevices() != null)
        .flatMap(s -> s.getSpec().getDevices().stream())
        .toList();
  }

  private List<ResourceSlice> ourSlices() {
    return client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
        .filter(s -> s.getSpec() != null)
        .filter(
            s -> DRIVER.equals(s.getSpec().getDriver()) && name().equals(s.getSpec().getNodeName()))
        .toList();
  }

  /** The kubelet's part. */
  public NodeAgent agent() {
    return agent;
  }

  /**
   * The plugin's environment: the fake node's directories and mock NVML library as in the plugin's
   * own tests, and the API server and credentials from {@code kubeconfig}.
   */
  private Map<String, String> pluginEnv(Path kubeconfig) {
    Map<String, String> env = files.env("unused");
    env.remove("KUBERNETES_MASTER");
    env.remove("KUBERNETES_TRUST_CERTIFICATES");
    env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "true");
    env.put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
    env.put(METRICS_PORT_ENV, Integer.toString(metricsPort));
    return env;
  }

  @Override
  public void close() {
    if (agent != null) {
      agent.close();
    }
    if (kubelet != null) {
      kubelet.close();
    }
    if (plugin != null) {
      plugin.close();
    }
    // The plugin was killed, so nothing else removes the slices it published (the garbage
    // collector would, after the Node, but later than the next scenario looks).
    ourSlices()
        .forEach(
            s ->
                client
                    .dynamicResourceAllocation()
                    .v1()
                    .resourcesSlices()
                    .withName(s.getMetadata().getName())
                    .delete());
    client.nodes().withName(name()).delete();
    deleteTree(files.root());
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
