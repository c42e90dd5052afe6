package dev.gpudra.e2e.nodes;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.nvml.mock.FakeSysfs;
import dev.gpudra.nvml.mock.MockProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The inventory of a fake-GPU node: nvml-jna's discovery command ({@code gpudra-nvml.jar discover},
 * real JNA code) run in a child JVM against the mock NVML library serving a profile, with a sysfs
 * built from the profile ({@link FakeSysfs}) for the GPUs' PCIe roots and NUMA nodes. A child
 * process per node keeps the mock's per-process environment out of the harness's JVM.
 */
public final class MockNodeDiscovery {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private MockNodeDiscovery() {}

  /**
   * Discovers a node serving {@code profile}, with a fresh MIG state file in {@code stateDir} so
   * the profile's own MIG layout is what is found.
   */
  public static NodeInventory discover(String profile, Path stateDir) {
    Path mockDir = NvmlBuildOutputs.mockNvmlDir();
    try {
      Files.createDirectories(stateDir);
      Path state = Files.createTempFile(stateDir, "mock-nvml-" + profile + "-", ".state");
      // The mock seeds a state file only when it does not exist yet.
      Files.delete(state);
      Path sysfs =
          FakeSysfs.create(
              Files.createTempDirectory(stateDir, "sysfs-" + profile + "-"),
              MockProfile.load(
                  mockDir.resolve("profiles").resolve(profile + ".profile"),
                  mockDir.resolve("profiles")));
      return run(mockDir.resolve("libnvidia-ml.so.1"), profile, state, sysfs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * What a second NVML user of {@code node} finds next to its plugin, as an administrator's {@code
   * nvidia-smi} would: the node's mock library, profile and MIG state (instances the plugin made
   * included), and its sysfs.
   */
  public static NodeInventory discover(FakeGpuNode node) {
    Path library = NvmlBuildOutputs.mockNvmlDir().resolve("libnvidia-ml.so.1");
    return run(library, node.profile(), node.files().nvmlStateFile(), node.files().sysfsRoot());
  }

  private static NodeInventory run(Path library, String profile, Path state, Path sysfs) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Command result =
        Command.check(
            Duration.ofMinutes(2),
            Map.of(
                "GPUDRA_NVML_LIBRARY", library.toString(),
                "GPUDRA_MOCK_NVML_PROFILE", profile,
                "GPUDRA_MOCK_NVML_STATE", state.toString()),
            List.of(
                java.toString(),
                "-jar",
                NvmlBuildOutputs.discoveryJar().toString(),
                "discover",
                "--sysfs-root",
                sysfs.toString()));
    return JSON.readValue(result.stdout(), NodeInventory.class);
  }
}
