package dev.gpudra.plugin;

import dev.gpudra.cdi.CommonEditsBuilder;
import dev.gpudra.core.config.EnvReader;
import dev.gpudra.core.config.NodeSharingPolicy;
import dev.gpudra.plugin.health.HealthConfig;
import dev.gpudra.plugin.server.PluginSockets;
import dev.gpudra.plugin.sharing.MpsDaemonConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 * @param cdiHookPath {@value #CDI_HOOK_PATH}: {@code nvidia-cdi-hook} on the host, which the
 *     container runtime runs for every GPU container; empty when the node has none, and CDI specs
 *     then carry no hooks
 * @param fractionalGpus {@value #FRACTIONAL_GPUS}: publish whole GPUs as shareable devices with
 *     consumable {@code memory} and {@code cores}
 * @param health the {@code GPUDRA_HEALTH_*} keys: GPU health monitoring ({@link HealthConfig})
 * @param mpsDaemons {@code GPUDRA_MPS_DAEMON} and its companions: how MPS daemons run ({@link
 *     MpsDaemonConfig})
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
    Optional<String> cdiHookPath,
    boolean fractionalGpus,
    HealthConfig health,
    MpsDaemonConfig mpsDaemons) {

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

  /**
   * Key of {@link #cdiHookPath()}: unset means {@link CommonEditsBuilder#DEFAULT_HOOK_PATH} (where
   * the NVIDIA Container Toolkit's packages install it), set but empty means no hooks.
   */
  public static final String CDI_HOOK_PATH = "GPUDRA_CDI_HOOK_PATH";

  /** Key of {@link #fractionalGpus()}. */
  public static final String FRACTIONAL_GPUS = "GPUDRA_FRACTIONAL_GPUS";

  /** Default metrics port. */
  public static final int DEFAULT_METRICS_PORT = 8080;

  // Kubernetes node names are DNS subdomains.
  private static final java.util.regex.Pattern NODE =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  /** Validates what the constructor can check alone. */
  public PluginConfig {
    Objects.requireNonNull(sockets, "sockets");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(mpsDaemons, "mpsDaemons");
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
    Objects.requireNonNull(cdiHookPath, "cdiHookPath");
  }

  /**
   * Reads every key from {@code env}.
   *
   * @throws IllegalArgumentException naming the key with an unusable value
   */
  public static PluginConfig fromEnv(Map<String, String> env) {
    EnvReader reader = new EnvReader(env);
    PluginSockets sockets = PluginSockets.fromEnv(env);
    return new PluginConfig(
        reader.required(NODE_NAME),
        sockets,
        EnvPaths.absolute(reader, CDI_DIR, Path.of("/var/run/cdi")),
        EnvPaths.absolute(reader, DRIVER_ROOT, Path.of("/")),
        reader.string(HOST_DRIVER_ROOT, "/"),
        EnvPaths.absolute(reader, DEV_ROOT, Path.of("/")),
        EnvPaths.absolute(reader, PROC_ROOT, Path.of("/proc")),
        EnvPaths.absolute(reader, SYSFS_ROOT, Path.of("/sys")),
        reader.optional(NVML_LIBRARY, Path::of, EnvPaths.NOT_A_PATH),
        EnvPaths.absolute(reader, CHECKPOINT_DIR, sockets.pluginDir()),
        EnvPaths.absolute(reader, BOOT_ID_PATH, Path.of("/proc/sys/kernel/random/boot_id")),
        reader.integer(METRICS_PORT, DEFAULT_METRICS_PORT),
        reader.bool(DYNAMIC_MIG, false),
        reader.list(SHARING_STRATEGIES, Set.of("Exclusive")),
        cdiHookPath(env),
        reader.bool(FRACTIONAL_GPUS, false),
        HealthConfig.fromEnv(env),
        MpsDaemonConfig.fromEnv(env));
  }

  // EnvReader treats an empty value as unset; here empty has a meaning of its own (no hooks).
  private static Optional<String> cdiHookPath(Map<String, String> env) {
    String raw = env.get(CDI_HOOK_PATH);
    if (raw == null) {
      return Optional.of(CommonEditsBuilder.DEFAULT_HOOK_PATH);
    }
    String value = raw.strip();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    if (!value.startsWith("/")) {
      throw new IllegalArgumentException(
          CDI_HOOK_PATH
              + " must be the absolute path of nvidia-cdi-hook on the host, or empty for no"
              + " hooks, got: "
              + value);
    }
    return Optional.of(Path.of(value).normalize().toString());
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
    m.put(CDI_HOOK_PATH, cdiHookPath.orElse("(none: CDI specs carry no hooks)"));
    m.put(FRACTIONAL_GPUS, Boolean.toString(fractionalGpus));
    m.putAll(health.effective());
    m.putAll(mpsDaemons.effective());
    return m;
  }
}
