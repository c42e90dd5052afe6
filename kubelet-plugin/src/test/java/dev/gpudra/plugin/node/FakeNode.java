package dev.gpudra.plugin.node;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.nvml.mock.FakeSysfs;
import dev.gpudra.nvml.mock.MockProfile;
import dev.gpudra.plugin.PluginConfig;
import dev.gpudra.plugin.server.PluginSockets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A GPU node in a temporary directory, for plugin processes: a driver root holding driver libraries
 * of the mock NVML's version, a {@code /proc} with the NVIDIA majors and MIG capability minors, a
 * {@code /sys} placing the profile's GPUs under their PCIe root complexes with their NUMA nodes
 * ({@link FakeSysfs}, from the profile's {@code pcie-root} and {@code numa-node}), a boot id file,
 * the kubelet's plugin and registry directories, a CDI directory, and the mock NVML library serving
 * a profile with a state file of this node's own.
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
      Path lib = Files.createDirectories(node.driverRoot().resolve("usr/lib/x86_64-linux-gnu"));
      for (String name : new String[] {"libcuda.so.", "libnvidia-ml.so."}) {
        Files.writeString(lib.resolve(name + DRIVER_VERSION), "");
      }
      Path proc = Files.createDirectories(node.procRoot().resolve("driver/nvidia-caps"));
      Files.writeString(
          node.procRoot().resolve("devices"),
          "Character devices:\n  1 mem\n195 nvidia-frontend\n508 nvidia-uvm\n511 nvidia-caps\n");
      Files.writeString(proc.resolve("mig-minors"), migMinors(8));
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

  /** The plugin's environment on this node, talking to the API server at {@code masterUrl}. */
  public Map<String, String> env(String masterUrl) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(PluginConfig.NODE_NAME, nodeName);
    env.put(PluginSockets.PLUGIN_DIR_KEY, pluginDir().toString());
    env.put(PluginSockets.REGISTRY_DIR_KEY, registryDir().toString());
    env.put(PluginSockets.POD_UID_KEY, POD_UID);
    env.put(PluginConfig.CDI_DIR, cdiDir().toString());
    env.put(PluginConfig.DRIVER_ROOT, driverRoot().toString());
    env.put(PluginConfig.DEV_ROOT, root.toString());
    env.put(PluginConfig.PROC_ROOT, procRoot().toString());
    env.put(PluginConfig.SYSFS_ROOT, sysfsRoot().toString());
    env.put(
        PluginConfig.NVML_LIBRARY,
        mockDir().resolve("libnvidia-ml.so.1").toAbsolutePath().normalize().toString());
    env.put(PluginConfig.BOOT_ID_PATH, bootIdFile().toString());
    env.put(PluginConfig.METRICS_PORT, "0");
    env.put("GPUDRA_MOCK_NVML_PROFILE", profile);
    env.put("GPUDRA_MOCK_NVML_STATE", nvmlStateFile().toString());
    env.put("KUBERNETES_MASTER", masterUrl);
    env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
    env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
    env.put("KUBERNETES_TRUST_CERTIFICATES", "true");
    env.put("KUBERNETES_NAMESPACE", "default");
    return env;
  }

  private static Path mockDir() {
    return Path.of(System.getProperty("gpudra.mockNvml.dir", "../nvml-jna/target/mock-nvml"));
  }

  /** The profile the mock library will serve: a built-in name, or a file path (with a '/'). */
  private static MockProfile mockProfile(String profile) throws IOException {
    Path builtIn = mockDir().resolve("profiles");
    Path file = profile.contains("/") ? Path.of(profile) : builtIn.resolve(profile + ".profile");
    return MockProfile.load(file, builtIn);
  }

  // The kernel's layout: per GPU, 15 GIs with 8 CIs each, numbered consecutively.
  private static String migMinors(int gpus) {
    StringBuilder b = new StringBuilder("config 1\nmonitor 2\n");
    int minor = 3;
    for (int gpu = 0; gpu < gpus; gpu++) {
      for (int gi = 0; gi < 15; gi++) {
        b.append("gpu").append(gpu).append("/gi").append(gi).append("/access ").append(minor++);
        b.append('\n');
        for (int ci = 0; ci < 8; ci++) {
          b.append("gpu").append(gpu).append("/gi").append(gi).append("/ci").append(ci);
          b.append("/access ").append(minor++).append('\n');
        }
      }
    }
    return b.toString();
  }
}
