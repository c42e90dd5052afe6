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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code gpudra discover} in its own process sees the MIG instances this JVM created through the
 * binding on the same mock node, as an admin's command sees what the plugin made.
 */
class DiscoverSharedNodeIT {

  /** {@code NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE}: a compute instance filling a 3g instance. */
  private static final int COMPUTE_PROFILE_3_SLICE = 2;

  private static final MigPlacement FREE_HALF = new MigPlacement(4, 4);

  @TempDir Path dir;
  private Map<String, String> node;

  @BeforeEach
  void freshNode() {
    node = MockNvml.env("a100-8x", dir);
  }

  @AfterEach
  void clearMockSettings() {
    MockNvml.clearFromThisProcess();
  }

  private NvmlSession open() {
    MockNvml.applyToThisProcess(node);
    return NvmlSession.open(
        new NvmlLibraryLoader(Path.of("/"), Optional.of(MockNvml.library())).load());
  }

  private MigProfile profile(int gpu, String name) {
    try (NvmlSession session = open()) {
      return NvmlInventoryMapper.toGpu(session.readGpu(gpu)).migProfiles().stream()
          .filter(p -> p.name().equals(name))
          .findFirst()
          .orElseThrow();
    }
  }

  @Test
  void anotherProcessSeesTheSameNode() throws Exception {
    MigProfile threeG = profile(2, "3g.40gb");
    try (NvmlSession session = open()) {
      int gpuInstanceId = session.createGpuInstance(2, threeG.id(), FREE_HALF);
      session.createComputeInstance(2, gpuInstanceId, COMPUTE_PROFILE_3_SLICE);
    }

    Map<String, String> env = new HashMap<>(node);
    env.put(NvmlLibraryLoader.LIBRARY_ENV, MockNvml.library().toString());
    CliRunner.Result result = CliRunner.run(env, "discover");

    assertThat(result.exitCode()).isZero();
    JsonNode gpu2 = JsonMapper.builder().build().readTree(result.stdout()).get("gpus").get(2);
    assertThat(gpu2.get("migDevices")).hasSize(1);
    assertThat(gpu2.get("migDevices").get(0).get("profileName").asString()).isEqualTo("3g.40gb");
  }
}
