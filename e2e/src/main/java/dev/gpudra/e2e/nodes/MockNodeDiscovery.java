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
 * process per node keeps the mock's per-process environment out of the test JVM.
 */
public final class MockNodeDiscovery {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private MockNodeDiscovery() {}

  /**
   * Discovers a node serving {@code profile}, with a fresh MIG state file in {@code stateDir} so
   * the profile's own MIG layout is what is found.
   */
  public static NodeInventory discover(String profile, Path stateDir) {
    Path jar = NvmlBuildOutputs.discoveryJar();
    Path library = NvmlBuildOutputs.mockNvmlDir().resolve("libnvidia-ml.so.1");
    try {
      Files.createDirectories(stateDir);
      Path state = Files.createTempFile(stateDir, "mock-nvml-" + profile + "-", ".state");
      // The mock seeds a state file only when it does not exist yet.
      Files.delete(state);
      Path mockDir = library.getParent();
      Path sysfs =
          FakeSysfs.create(
              Files.createTempDirectory(stateDir, "sysfs-" + profile + "-"),
              MockProfile.load(
                  mockDir.resolve("profiles").resolve(profile + ".profile"),
                  mockDir.resolve("profiles")));
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
                  jar.toString(),
                  "discover",
                  "--sysfs-root",
                  sysfs.toString()));
      return JSON.readValue(result.stdout(), NodeInventory.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
