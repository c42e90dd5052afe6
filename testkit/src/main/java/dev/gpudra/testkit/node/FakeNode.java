package dev.gpudra.testkit.node;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.testkit.nvml.FakeSysfs;
import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A GPU node in a temporary directory, for plugin processes: a driver root holding driver libraries
 * of the mock NVML's version, a {@code /proc} with the NVIDIA majors and MIG capability minors, a
 * {@code /sys} placing the profile's GPUs under their PCIe root complexes with their NUMA nodes
 * ({@link FakeSysfs}, from the profile's {@code pcie-root} and {@code numa-node}), a boot id file,
 * the kubelet's plugin and registry directories, a CDI directory, and the mock NVML library serving
 * a profile with a state file of this node's own, and the mock driver tools ({@link MockTools}) in
 * the driver root with a state file of their own.
 *
 * <p>{@link #env} speaks the plugin's configuration keys by name (the kit cannot import the
 * plugin); they are its documented interface, the same names the Helm chart sets.
 */
public final class FakeNode {

  /** The driver version every mock NVML profile reports. */
  public static final String DRIVER_VERSION = "550.54.15";

  /** Pod UID of the plugin; short paths matter for unix sockets. */
  public static final String POD_UID = "9a9a9a9a-0000-4000-8000-000000000001";

  private final Path root;
  private final String nodeName;
  private final String profile;

  private FakeNode(Path root, String nodeName, String profile) {
    this.root = root;
    this.nodeName = nodeName;
    this.profile = profile;
  }

  /** Builds the node's files under {@code root}. */
  public static FakeNode create(Path root, String nodeName, String profile) {
    FakeNode node = new FakeNode(root, nodeName, profile);
    try {
      FakeDriverRoot.files(
          node.driverRoot(),
          FakeDriverRoot.libraries(DRIVER_VERSION, List.of("libcuda", "libnvidia-ml")));
      FakeDriverRoot.proc(node.procRoot(), 8);
      MockTools.install(node.driverRoot());
      Files.createDirectories(node.root.resolve("dev"));
      FakeSysfs.create(node.sysfsRoot(), mockProfile(profile));
      node.newBoot();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return node;
  }

  /** Writes a new boot id, as a reboot would. */
  public void newBoot() throws IOException {
    Files.writeString(bootIdFile(), UUID.randomUUID() + "\n");
  }

  /** The node's name and pool. */
  public String nodeName() {
    return nodeName;
  }

  /** Root of the node's files. */
  public Path root() {
    return root;
  }

  /** The driver root. */
  public Path driverRoot() {
    return root.resolve("driver");
  }

  /** The node's {@code /proc}. */
  public Path procRoot() {
    return root.resolve("proc");
  }

  /** The node's {@code /sys}. */
  public Path sysfsRoot() {
    return root.resolve("sys");
  }

  /** The boot id file. */
  public Path bootIdFile() {
    return root.resolve("boot_id");
  }

  /** The CDI spec directory. */
  public Path cdiDir() {
    return root.resolve("cdi");
  }

  /** The plugin's directory (DRA socket, checkpoint). */
  public Path pluginDir() {
    return root.resolve("plugins").resolve(DriverNames.DRIVER);
  }

  /** The kubelet's plugin registry directory. */
  public Path registryDir() {
    return root.resolve("registry");
  }

  /** The checkpoint file. */
  public Path checkpointFile() {
    return pluginDir().resolve("checkpoint");
  }

  /** The mock NVML library's MIG state file: the node's GPU and compute instances. */
  public Path nvmlStateFile() {
    return root.resolve("nvml.state");
  }

  /** The mock driver tools' state file ({@link MockTools#read}): time slices, compute modes. */
  public Path toolStateFile() {
    return root.resolve("tools.state");
  }

  /** The plugin's environment on this node, talking to the API server at {@code masterUrl}. */
  public Map<String, String> env(String masterUrl) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("NODE_NAME", nodeName);
    env.put("KUBELET_PLUGIN_DIRECTORY_PATH", pluginDir().toString());
    env.put("KUBELET_REGISTRAR_DIRECTORY_PATH", registryDir().toString());
    env.put("POD_UID", POD_UID);
    env.put("GPUDRA_CDI_DIR", cdiDir().toString());
    env.put("GPUDRA_DRIVER_ROOT", driverRoot().toString());
    // The plugin runs as a host process, so the host sees the driver root where the plugin does;
    // CDI mounts then name files that exist, as a container runtime requires.
    env.put("GPUDRA_HOST_DRIVER_ROOT", driverRoot().toString());
    env.put("GPUDRA_DEV_ROOT", root.toString());
    env.put("GPUDRA_PROC_ROOT", procRoot().toString());
    env.put("GPUDRA_SYSFS_ROOT", sysfsRoot().toString());
    env.put("GPUDRA_NVML_LIBRARY", MockNvml.library().toString());
    env.put("GPUDRA_BOOT_ID_PATH", bootIdFile().toString());
    env.put("GPUDRA_METRICS_PORT", "0");
    env.put(MockNvml.PROFILE_ENV, profile);
    env.put(MockNvml.STATE_ENV, nvmlStateFile().toString());
    env.put(MockTools.STATE_ENV, toolStateFile().toString());
    env.put("KUBERNETES_MASTER", masterUrl);
    env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
    env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
    env.put("KUBERNETES_TRUST_CERTIFICATES", "true");
    env.put("KUBERNETES_NAMESPACE", "default");
    return env;
  }

  /** UUID of each GPU of the node's profile, by minor number. */
  public Map<Integer, String> gpuUuids() {
    Map<Integer, String> uuids = new LinkedHashMap<>();
    try {
      mockProfile(profile).gpus().forEach(g -> uuids.put(g.minor(), g.uuid()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return uuids;
  }

  /** The profile the mock library will serve: a built-in name, or a file path (with a '/'). */
  private static MockProfile mockProfile(String profile) throws IOException {
    Path builtIn = MockNvml.builtInDir();
    Path file = profile.contains("/") ? Path.of(profile) : builtIn.resolve(profile + ".profile");
    return MockProfile.load(file, builtIn);
  }
}
