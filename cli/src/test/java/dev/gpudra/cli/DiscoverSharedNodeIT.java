package dev.gpudra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.nvml.NvmlInventoryMapper;
import dev.gpudra.nvml.NvmlLibraryLoader;
import dev.gpudra.nvml.NvmlSession;
import dev.gpudra.testkit.nvml.MockNvml;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code gpudra discover} in its own process sees the MIG instances this JVM created through the
 * binding on the same mock node, as an admin's command sees what the plugin made.
 */
class DiscoverSharedNodeIT {

  @TempDir Path dir;

  @AfterEach
  void clearMockSettings() {
    MockNvml.clearFromThisProcess();
  }

  @Test
  void anotherProcessSeesTheSameNode() throws Exception {
    Map<String, String> node = new HashMap<>(MockNvml.env("a100-8x", dir));
    MockNvml.applyToThisProcess(node);
    NvmlLibraryLoader loader = new NvmlLibraryLoader(Path.of("/"), Optional.of(MockNvml.library()));
    try (NvmlSession session = NvmlSession.open(loader.load())) {
      MigProfile threeG =
          NvmlInventoryMapper.toGpu(session.readGpu(2)).migProfiles().stream()
              .filter(p -> p.name().equals("3g.40gb"))
              .findFirst()
              .orElseThrow();
      // GPU 2 of a100-8x has slices 4-7 free.
      int gpuInstanceId = session.createGpuInstance(2, threeG.id(), new MigPlacement(4, 4));
      session.createFullComputeInstance(2, gpuInstanceId);
    }

    node.put(NvmlLibraryLoader.LIBRARY_ENV, MockNvml.library().toString());
    CliRunner.Result result = CliRunner.run(node, "discover");

    assertThat(result.exitCode()).isZero();
    JsonNode gpu2 = JsonMapper.builder().build().readTree(result.stdout()).get("gpus").get(2);
    assertThat(gpu2.get("migDevices")).hasSize(1);
    assertThat(gpu2.get("migDevices").get(0).get("profileName").asString()).isEqualTo("3g.40gb");
  }
}
