package dev.gpudra.plugin;

import dev.gpudra.core.config.NodeSharingPolicy;
import dev.gpudra.plugin.grpc.PluginSockets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The kubelet plugin's whole configuration, read once from environment variables. Each component is
 * one key (its environment variable name), with a type, a default and validation; a bad value fails
 * start-up with a message naming the key. The Helm chart's values map 1:1 to these keys.
 *
 * @param nodeName {@value #NODE_NAME}: this node, also the name of its ResourceSlice pool
 * @param sockets {@code KUBELET_PLUGIN_DIRECTORY_PATH}, {@code KUBELET_REGISTRAR_DIRECTORY_PATH},
 *     {@code POD_UID}: where the sockets are
 * @param cdiDir {@value #CDI_DIR}: where per-claim CDI specs are written
 * @param driverRoot {@value #DRIVER_ROOT}: the NVIDIA driver's root as this process sees it
 * @param hostDriverRoot {@value #HOST_DRIVER_ROOT}: the same directory as the host sees it
 * @param devRoot {@value #DEV_ROOT}: directory holding the host's {@code dev/}
 * @param procRoot {@value #PROC_ROOT}: the host's {@code /proc}
 * @param sysfsRoot {@value #SYSFS_ROOT}: the host's {@code /sys}, for each GPU's PCIe root and NUMA
 *     node
 * @param nvmlLibrary {@value #NVML_LIBRARY}: explicit {@code libnvidia-ml.so.1}, else searched in
 *     the driver root
 * @param checkpointDir {@value #CHECKPOINT_DIR}: directory of the checkpoint file
 * @param bootIdPath {@value #BOOT_ID_PATH}: the kernel's boot id
 * @param metricsPort {@value #METRICS_PORT}: HTTP port of {@code /metrics} and {@code /healthz}; 0
 *     picks a free port, -1 disables the server
 * @param dynamicMig {@value #DYNAMIC_MIG}: publish MIG placements for on-demand creation
 * @param sharingStrategies {@value #SHARING_STRATEGIES}: strategies this node applies
 * @param killAtStep {@value #TEST_KILL_AT_STEP}: test hook, SIGKILL at the N-th prepare step
 * @param killAtStepName {@value #TEST_KILL_AT_STEP_NAME}: test hook, count only the steps of this
 *     name toward {@code killAtStep}
 */
public record PluginConfig(
    String nodeName,
    PluginSockets sockets,
    Path cdiDir,
    Path driverRoot,
    String hostDriverRoot,
    Path devRoot,
    Path procRoot,
    Path sysfsRoot,
    Optional<Path> nvmlLibrary,
    Path checkpointDir,
    Path bootIdPath,
    int metricsPort,
    boolean dynamicMig,
    Set<String> sharingStrategies,
    OptionalLong killAtStep,
    Optional<String> killAtStepName) {

  /** Key of {@link #nodeName()}; required (downward API {@code spec.nodeName}). */
  public static final String NODE_NAME = "NODE_NAME";

  /** Key of {@link #cdiDir()}. */
  public static final String CDI_DIR = "GPUDRA_CDI_DIR";

  /** Key of {@link #driverRoot()}. */
  public static final String DRIVER_ROOT = "GPUDRA_DRIVER_ROOT";

  /** Key of {@link #hostDriverRoot()}. */
  public static final String HOST_DRIVER_ROOT = "GPUDRA_HOST_DRIVER_ROOT";

  /** Key of {@link #devRoot()}. */
  public static final String DEV_ROOT = "GPUDRA_DEV_ROOT";

  /** Key of {@link #procRoot()}. */
  public static final String PROC_ROOT = "GPUDRA_PROC_ROOT";

  /** Key of {@link #sysfsRoot()}. */
  public static final String SYSFS_ROOT = "GPUDRA_SYSFS_ROOT";

  /** Key of {@link #nvmlLibrary()}. */
  public static final String NVML_LIBRARY = "GPUDRA_NVML_LIBRARY";

  /** Key of {@link #checkpointDir()}. */
  public static final String CHECKPOINT_DIR = "GPUDRA_CHECKPOINT_DIR";

  /** Key of {@link #bootIdPath()}. */
  public static final String BOOT_ID_PATH = "GPUDRA_BOOT_ID_PATH";

  /** Key of {@link #metricsPort()}. */
  public static final String METRICS_PORT = "GPUDRA_METRICS_PORT";

  /** Key of {@link #dynamicMig()}. */
  public static final String DYNAMIC_MIG = "GPUDRA_DYNAMIC_MIG";

  /** Key of {@link #sharingStrategies()}. */
  public static final String SHARING_STRATEGIES = "GPUDRA_SHARING_STRATEGIES";

  /** Key of {@link #killAtStep()}. */
  public static final String TEST_KILL_AT_STEP = "GPUDRA_TEST_KILL_AT_STEP";

  /** Key of {@link #killAtStepName()}. */
  public static final String TEST_KILL_AT_STEP_NAME = "GPUDRA_TEST_KILL_AT_STEP_NAME";

  /** Default metrics port. */
  public static final int DEFAULT_METRICS_PORT = 8080;

  // Kubernetes node names are DNS subdomains.
  private static final java.util.regex.Pattern NODE =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  /** Validates what the constructor can check alone. */
  public PluginConfig {
    Objects.requireNonNull(sockets, "sockets");
    if (nodeName == null || !NODE.matcher(nodeName).matches()) {
      throw new IllegalArgumentException(
          NODE_NAME + " must be a node name (DNS subdomain), got: " + nodeName);
    }
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException(
          METRICS_PORT + " must be -1 (off), 0 (any) or 1..65535, got: " + metricsPort);
    }
    sharingStrategies = Set.copyOf(sharingStrategies);
    for (String s : sharingStrategies) {
      if (!NodeSharingPolicy.IMPLEMENTED.contains(s)) {
        throw new IllegalArgumentException(
            SHARING_STRATEGIES
                + ": strategy "
                + s
                + " is not implemented by this version (implemented: "
                + String.join(", ", NodeSharingPolicy.IMPLEMENTED)
                + ")");
      }
    }
    if (!sharingStrategies.contains("Exclusive")) {
      throw new IllegalArgumentException(SHARING_STRATEGIES + " must include Exclusive");
    }
    Objects.requireNonNull(killAtStepName, "killAtStepName");
    if (killAtStepName.isPresent() && killAtStep.isEmpty()) {
      throw new IllegalArgumentException(
          TEST_KILL_AT_STEP_NAME + " needs " + TEST_KILL_AT_STEP + " (which one of those steps)");
    }
  }

  /**
   * Reads every key from {@code env}.
   *
   * @throws IllegalArgumentException naming the key with an unusable value
   */
  public static PluginConfig fromEnv(Map<String, String> env) {
    PluginSockets sockets = PluginSockets.fromEnv(env);
    return new PluginConfig(
        string(env, NODE_NAME)
            .orElseThrow(() -> new IllegalArgumentException(NODE_NAME + " is required")),
        sockets,
        path(env, CDI_DIR, Path.of("/var/run/cdi")),
        path(env, DRIVER_ROOT, Path.of("/")),
        string(env, HOST_DRIVER_ROOT).orElse("/"),
        path(env, DEV_ROOT, Path.of("/")),
        path(env, PROC_ROOT, Path.of("/proc")),
        path(env, SYSFS_ROOT, Path.of("/sys")),
        string(env, NVML_LIBRARY).map(v -> toPath(NVML_LIBRARY, v)),
        path(env, CHECKPOINT_DIR, sockets.pluginDir()),
        path(env, BOOT_ID_PATH, Path.of("/proc/sys/kernel/random/boot_id")),
        integer(env, METRICS_PORT, DEFAULT_METRICS_PORT),
        bool(env, DYNAMIC_MIG, false),
        strategies(env),
        string(env, TEST_KILL_AT_STEP)
            .map(v -> OptionalLong.of(positiveLong(TEST_KILL_AT_STEP, v)))
            .orElse(OptionalLong.empty()),
        string(env, TEST_KILL_AT_STEP_NAME));
  }

  /** The sharing policy these strategies make. */
  public NodeSharingPolicy sharingPolicy() {
    return new NodeSharingPolicy(sharingStrategies, SHARING_STRATEGIES);
  }

  /** The effective configuration, one key per entry, for the start-up log line. */
  public Map<String, String> effective() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(NODE_NAME, nodeName);
    m.put(PluginSockets.PLUGIN_DIR_KEY, sockets.pluginDir().toString());
    m.put(PluginSockets.REGISTRY_DIR_KEY, sockets.registryDir().toString());
    m.put(PluginSockets.POD_UID_KEY, sockets.podUid().orElse(""));
    m.put(CDI_DIR, cdiDir.toString());
    m.put(DRIVER_ROOT, driverRoot.toString());
    m.put(HOST_DRIVER_ROOT, hostDriverRoot);
    m.put(DEV_ROOT, devRoot.toString());
    m.put(PROC_ROOT, procRoot.toString());
    m.put(SYSFS_ROOT, sysfsRoot.toString());
    m.put(NVML_LIBRARY, nvmlLibrary.map(Path::toString).orElse("(search driver root)"));
    m.put(CHECKPOINT_DIR, checkpointDir.toString());
    m.put(BOOT_ID_PATH, bootIdPath.toString());
    m.put(METRICS_PORT, Integer.toString(metricsPort));
    m.put(DYNAMIC_MIG, Boolean.toString(dynamicMig));
    m.put(SHARING_STRATEGIES, String.join(",", sharingStrategies.stream().sorted().toList()));
    killAtStep.ifPresent(n -> m.put(TEST_KILL_AT_STEP, Long.toString(n)));
    killAtStepName.ifPresent(n -> m.put(TEST_KILL_AT_STEP_NAME, n));
    return m;
  }

  private static Optional<String> string(Map<String, String> env, String key) {
    return Optional.ofNullable(env.get(key)).map(String::strip).filter(s -> !s.isEmpty());
  }

  private static Path path(Map<String, String> env, String key, Path fallback) {
    Path p = string(env, key).map(v -> toPath(key, v)).orElse(fallback);
    if (!p.isAbsolute()) {
      throw new IllegalArgumentException(key + " must be an absolute path, got: " + p);
    }
    return p.normalize();
  }

  private static Path toPath(String key, String value) {
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException(key + " is not a path: " + value, e);
    }
  }

  private static int integer(Map<String, String> env, String key, int fallback) {
    Optional<String> v = string(env, key);
    if (v.isEmpty()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.get());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got: " + v.get(), e);
    }
  }

  private static long positiveLong(String key, String value) {
    try {
      long n = Long.parseLong(value);
      if (n < 1) {
        throw new IllegalArgumentException(key + " must be >= 1, got: " + value);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got: " + value, e);
    }
  }

  private static boolean bool(Map<String, String> env, String key, boolean fallback) {
    Optional<String> v = string(env, key).map(s -> s.toLowerCase(Locale.ROOT));
    if (v.isEmpty()) {
      return fallback;
    }
    return switch (v.get()) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(key + " must be true or false, got: " + v.get());
    };
  }

  private static Set<String> strategies(Map<String, String> env) {
    Optional<String> v = string(env, SHARING_STRATEGIES);
    if (v.isEmpty()) {
      return Set.of("Exclusive");
    }
    Set<String> out = new LinkedHashSet<>();
    for (String part : v.get().split(",")) {
      String s = part.strip();
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }
}
