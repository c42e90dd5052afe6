package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.testkit.nvml.MockNvml;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Creating and destroying MIG instances through the session, on the mock's 8x A100 node where GPU 0
 * is in MIG mode with a 3g.40gb instance at slices 4-7 and smaller ones on slices 0-3.
 */
class NvmlMigIT {

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

  private Gpu gpu(int index) {
    try (NvmlSession session = MockSession.open(node)) {
      return dev.gpudra.core.device.nvml.NvmlInventoryMapper.toGpu(session.readGpu(index));
    }
  }

  private static MigProfile profile(Gpu gpu, String name) {
    return gpu.migProfiles().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void createdInstancesAppearAsMigDevicesAndDestroyedOnesGo() {
    Gpu before = gpu(2);
    MigProfile threeG = profile(before, "3g.40gb");
    assertThat(before.migMode().current()).isTrue();
    assertThat(before.migDevices()).isEmpty();

    int gpuInstanceId;
    int computeInstanceId;
    try (NvmlSession session = MockSession.open(node)) {
      gpuInstanceId = session.createGpuInstance(2, threeG.id(), FREE_HALF);
      computeInstanceId = session.createComputeInstance(2, gpuInstanceId, COMPUTE_PROFILE_3_SLICE);
    }

    Gpu after = gpu(2);
    assertThat(after.migDevices())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.profileName()).isEqualTo("3g.40gb");
              assertThat(d.gpuInstanceId()).isEqualTo(gpuInstanceId);
              assertThat(d.computeInstanceId()).isEqualTo(computeInstanceId);
              assertThat(d.placement()).isEqualTo(FREE_HALF);
              assertThat(d.uuid()).startsWith("MIG-");
            });

    try (NvmlSession session = MockSession.open(node)) {
      session.destroyComputeInstance(2, gpuInstanceId, computeInstanceId);
      session.destroyGpuInstance(2, gpuInstanceId);
      assertThat(session.remainingGpuInstanceCapacity(2, threeG.id())).isEqualTo(1);
    }
    assertThat(gpu(2).migDevices()).isEmpty();
  }

  @Test
  void listsGpuInstancesWithAndWithoutComputeInstances() {
    try (NvmlSession session = MockSession.open(node)) {
      // GPU 2 holds one 4g.40gb GPU instance that has no compute instance, so no MIG device.
      assertThat(session.gpuInstances(2))
          .singleElement()
          .satisfies(
              gi -> {
                assertThat(gi.placement().start()).isZero();
                assertThat(gi.placement().size()).isEqualTo(4);
                assertThat(gi.computeInstances()).isEmpty();
              });
      // GPU 0: 3g.40gb + 2g.20gb + 2x 1g.10gb, each with a compute instance filling it.
      assertThat(session.gpuInstances(0))
          .hasSize(4)
          .allSatisfy(gi -> assertThat(gi.computeInstances()).hasSize(1));
      assertThat(session.gpuInstances(0))
          .extracting(gi -> gi.computeInstances().getFirst().sliceCount())
          .containsExactlyInAnyOrder(3, 2, 1, 1);
    }
  }

  @Test
  void aFullComputeInstanceFillsItsGpuInstanceAndIsFoundByIdAndUuid() {
    MigProfile threeG = profile(gpu(2), "3g.40gb");
    int gpuInstanceId;
    int computeInstanceId;
    String uuid;
    try (NvmlSession session = MockSession.open(node)) {
      gpuInstanceId = session.createGpuInstance(2, threeG.id(), FREE_HALF);
      assertThat(session.gpuInstance(2, gpuInstanceId).orElseThrow().computeInstances()).isEmpty();
      assertThat(session.migDeviceUuid(2, gpuInstanceId, 0)).isEmpty();

      computeInstanceId = session.createFullComputeInstance(2, gpuInstanceId);

      var gi = session.gpuInstance(2, gpuInstanceId).orElseThrow();
      assertThat(gi.profileId()).isEqualTo(threeG.id());
      assertThat(gi.placement().start()).isEqualTo(FREE_HALF.start());
      assertThat(gi.computeInstances())
          .singleElement()
          .satisfies(
              ci -> {
                assertThat(ci.id()).isEqualTo(computeInstanceId);
                assertThat(ci.profileId()).isEqualTo(COMPUTE_PROFILE_3_SLICE);
                assertThat(ci.sliceCount()).isEqualTo(3);
              });
      uuid = session.migDeviceUuid(2, gpuInstanceId, computeInstanceId).orElseThrow();
      assertThatThrownBy(() -> session.createFullComputeInstance(2, gpuInstanceId))
          .isInstanceOfSatisfying(
              NvmlException.class,
              e -> assertThat(e.code()).isEqualTo(NvmlReturn.ERROR_INSUFFICIENT_RESOURCES));
    }
    assertThat(gpu(2).migDevices()).singleElement().extracting(MigDevice::uuid).isEqualTo(uuid);

    try (NvmlSession session = MockSession.open(node)) {
      session.destroyComputeInstance(2, gpuInstanceId, computeInstanceId);
      session.destroyGpuInstance(2, gpuInstanceId);
      assertThat(session.gpuInstance(2, gpuInstanceId)).isEmpty();
      assertThat(session.gpuInstances(2)).hasSize(1); // the profile's own 4g.40gb
    }
  }

  @Test
  void anOverlappingPlacementIsRefusedByNvml() {
    Gpu gpu = gpu(0);
    MigDevice existing =
        gpu.migDevices().stream()
            .filter(d -> d.profileName().equals("3g.40gb"))
            .findFirst()
            .orElseThrow();
    MigProfile fourG = profile(gpu, "4g.40gb");
    assertThat(existing.placement()).isEqualTo(new MigPlacement(4, 4));

    try (NvmlSession session = MockSession.open(node)) {
      assertThatThrownBy(() -> session.createGpuInstance(0, fourG.id(), new MigPlacement(0, 4)))
          .isInstanceOfSatisfying(
              NvmlException.class,
              e -> {
                assertThat(e.function()).isEqualTo("nvmlDeviceCreateGpuInstanceWithPlacement");
                assertThat(e.code()).isEqualTo(NvmlReturn.ERROR_INSUFFICIENT_RESOURCES);
              });
      assertThat(session.remainingGpuInstanceCapacity(0, fourG.id())).isZero();
    }
  }
}
