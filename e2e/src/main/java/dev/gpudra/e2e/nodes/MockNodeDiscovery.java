package dev.gpudra.e2e.nodes;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.testkit.nvml.FakeSysfs;
import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The inventory of a fake-GPU node: the operator's discovery command ({@code gpudra discover}, real
 * JNA code, from the gpudra-cli artifact on this JVM's class path) run in a child JVM against the
 * test kit's mock NVML library serving a profile, with a sysfs built from the profile ({@link
 * FakeSysfs}) for the GPUs' PCIe roots and NUMA nodes. A child process per node keeps the mock's
 * per-process environment out of the harness's JVM.
 */
public final class MockNodeDiscovery {

  /** The gpudra command's entry point (module cli, a runtime dependency of the harness). */
  private static final String CLI_MAIN = "dev.gpudra.cli.GpudraCli";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private MockNodeDiscovery() {}

  /**
   * Discovers a node serving {@code profile}, with a fresh MIG state file in {@code stateDir} so
   * the profile's own MIG layout is what is found.
   */
  public static NodeInventory discover(String profile, Path stateDir) {
    Path mockDir = MockNvml.libraryDir();
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
      return run(MockNvml.library(), profile, state, sysfs);
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
    return run(
        MockNvml.library(), node.profile(), node.files().nvmlStateFile(), node.files().sysfsRoot());
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
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                CLI_MAIN,
                "discover",
                "--sysfs-root",
                sysfs.toString()));
    return JSON.readValue(result.stdout(), NodeInventory.class);
  }
}
