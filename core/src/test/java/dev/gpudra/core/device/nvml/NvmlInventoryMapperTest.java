package dev.gpudra.core.device.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NvmlInventoryMapperTest {

  private static final long MIB = 1024L * 1024L;

  /** An A100-SXM4-80GB in MIG mode as NVML answers for it: two profiles, one 3g instance. */
  private static RawGpu a100InMigMode() {
    RawGpuInstanceProfile oneG =
        new RawGpuInstanceProfile(
            0,
            19,
            1,
            7,
            14,
            1,
            0,
            0,
            0,
            0,
            9728,
            "MIG 1g.10gb",
            List.of(
                new RawPlacement(0, 1),
                new RawPlacement(1, 1),
                new RawPlacement(2, 1),
                new RawPlacement(3, 1),
                new RawPlacement(4, 1),
                new RawPlacement(5, 1),
                new RawPlacement(6, 1)));
    RawGpuInstanceProfile threeG =
        new RawGpuInstanceProfile(
            2,
            9,
            3,
            2,
            42,
            3,
            2,
            0,
            0,
            0,
            40192,
            "MIG 3g.40gb",
            List.of(new RawPlacement(0, 4), new RawPlacement(4, 4)));
    RawGpuInstanceProfile sevenG =
        new RawGpuInstanceProfile(
            4, 0, 7, 1, 98, 7, 5, 0, 1, 1, 80896, "MIG 7g.80gb", List.of(new RawPlacement(0, 8)));
    RawMigDevice mig =
        new RawMigDevice(
            "MIG-0a1b2c3d-0000-5000-8000-000000000001",
            2,
            0,
            9,
            new RawPlacement(4, 4),
            40192 * MIB);
    return new RawGpu(
        3,
        5,
        "GPU-aaaaaaaa-1111-2222-3333-444444444444",
        "NVIDIA A100-SXM4-80GB",
        2,
        7,
        8,
        0,
        81920 * MIB,
        "00000000:4E:00.0",
        true,
        1,
        1,
        List.of(sevenG, oneG, threeG),
        List.of(mig));
  }

  /** {@code raw} in MIG mode with other profiles and MIG devices. */
  private static RawGpu withMig(
      RawGpu raw, List<RawGpuInstanceProfile> profiles, List<RawMigDevice> migDevices) {
    return new RawGpu(
        raw.index(),
        raw.minor(),
        raw.uuid(),
        raw.name(),
        raw.brand(),
        raw.architecture(),
        raw.computeCapabilityMajor(),
        raw.computeCapabilityMinor(),
        raw.memoryTotalBytes(),
        raw.busId(),
        true,
        1,
        1,
        profiles,
        migDevices);
  }

  @Test
  void mapsGpuIdentityUnitsAndNamesAsPublished() {
    Gpu gpu = NvmlInventoryMapper.toGpu(a100InMigMode());

    assertThat(gpu.index()).isEqualTo(3);
    assertThat(gpu.minor()).isEqualTo(5);
    assertThat(gpu.uuid()).isEqualTo("GPU-aaaaaaaa-1111-2222-3333-444444444444");
    assertThat(gpu.productName()).isEqualTo("NVIDIA A100-SXM4-80GB");
    assertThat(gpu.brand()).isEqualTo("Tesla");
    assertThat(gpu.architecture()).isEqualTo("Ampere");
    assertThat(gpu.cudaComputeCapability()).isEqualTo("8.0");
    assertThat(gpu.memoryBytes()).isEqualTo(80L * 1024 * MIB);
    assertThat(gpu.pciBusId()).isEqualTo("0000:4e:00.0");
    assertThat(gpu.migMode()).isEqualTo(new MigMode(true, true, true));
  }

  @Test
  void ordersProfilesByNvmlIndexAndStripsTheMigPrefix() {
    Gpu gpu = NvmlInventoryMapper.toGpu(a100InMigMode());

    assertThat(gpu.migProfiles())
        .extracting(MigProfile::name)
        .containsExactly("1g.10gb", "3g.40gb", "7g.80gb");
    MigProfile threeG = gpu.migProfiles().get(1);
    assertThat(threeG.id()).isEqualTo(9);
    assertThat(threeG.profileIndex()).isEqualTo(2);
    assertThat(threeG.memoryBytes()).isEqualTo(40192 * MIB);
    assertThat(threeG.instanceCount()).isEqualTo(2);
    assertThat(threeG.placements()).containsExactly(new MigPlacement(0, 4), new MigPlacement(4, 4));
  }

  @Test
  void countsMemorySlicesByPlacementSizeNotComputeSlices() {
    Gpu gpu = NvmlInventoryMapper.toGpu(a100InMigMode());

    MigProfile sevenG = gpu.migProfiles().get(2);
    assertThat(sevenG.sliceCount()).isEqualTo(7);
    assertThat(sevenG.resources()).isEqualTo(new MigCounters(8, 98, 7, 5, 0, 1, 1));
    assertThat(gpu.migProfiles().get(1).resources().memorySlices()).isEqualTo(4);
  }

  @Test
  void joinsMigDevicesWithTheirProfileAndParent() {
    Gpu gpu = NvmlInventoryMapper.toGpu(a100InMigMode());

    assertThat(gpu.migDevices()).hasSize(1);
    MigDevice mig = gpu.migDevices().getFirst();
    assertThat(mig.uuid()).isEqualTo("MIG-0a1b2c3d-0000-5000-8000-000000000001");
    assertThat(mig.parentUuid()).isEqualTo(gpu.uuid());
    assertThat(mig.parentMinor()).isEqualTo(5);
    assertThat(mig.profileName()).isEqualTo("3g.40gb");
    assertThat(mig.profileId()).isEqualTo(9);
    assertThat(mig.gpuInstanceId()).isEqualTo(2);
    assertThat(mig.computeInstanceId()).isZero();
    assertThat(mig.placement()).isEqualTo(new MigPlacement(4, 4));
    assertThat(mig.resources()).isEqualTo(new MigCounters(4, 42, 3, 2, 0, 0, 0));
  }

  @Test
  void rejectsMigDeviceWhoseProfileTheGpuDoesNotList() {
    RawGpu raw = a100InMigMode();
    RawMigDevice stray =
        new RawMigDevice("MIG-stray", 7, 0, 99, new RawPlacement(0, 1), 9728 * MIB);
    RawGpu broken = withMig(raw, raw.profiles(), List.of(stray));

    assertThatThrownBy(() -> NvmlInventoryMapper.toGpu(broken))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MIG-stray")
        .hasMessageContaining("profile id 99");
  }

  /**
   * Found by ResourceSliceMapperFuzzTest: MIG devices NVML reports under one published name (two
   * GPU instances of a profile at one placement, or one compute instance twice) used to give the
   * node's pool a device twice, which the API server refuses; now only that GPU is unmappable.
   */
  @ParameterizedTest
  @CsvSource({"5, 0, GPU instances 2 and 5", "2, 0, compute instance 0 of GPU instance 2 twice"})
  void rejectsMigDevicesThatWouldShareAPublishedName(
      int gpuInstanceId, int computeInstanceId, String message) {
    RawGpu raw = a100InMigMode();
    RawMigDevice twin =
        new RawMigDevice(
            "MIG-0a1b2c3d-0000-5000-8000-000000000002",
            gpuInstanceId,
            computeInstanceId,
            9,
            new RawPlacement(4, 4),
            40192 * MIB);
    List<RawMigDevice> devices = new java.util.ArrayList<>(raw.migDevices());
    devices.add(twin);
    RawGpu odd = withMig(raw, raw.profiles(), devices);

    assertThatThrownBy(() -> NvmlInventoryMapper.toGpu(odd))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GPU 3")
        .hasMessageContaining(message);
  }

  /**
   * Found by ResourceSliceMapperFuzzTest: with dynamic MIG every placement is published as {@code
   * gpu-<minor>-mig-<profile>-<id>-<start>}, so a profile id listed twice gave the pool one device
   * twice; now only that GPU is unmappable.
   */
  @Test
  void rejectsAProfileIdListedTwice() {
    RawGpu raw = a100InMigMode();
    List<RawGpuInstanceProfile> profiles = new java.util.ArrayList<>(raw.profiles());
    profiles.add(raw.profiles().getLast());
    RawGpu odd = withMig(raw, profiles, List.of());

    assertThatThrownBy(() -> NvmlInventoryMapper.toGpu(odd))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GPU 3")
        .hasMessageContaining("twice");
  }

  /**
   * A string attribute holds 64 bytes and a cut UUID would name another device, so a UUID NVML
   * reports longer than that (here 46 characters, 70 bytes) makes only that GPU unmappable.
   */
  @Test
  void rejectsAUuidLongerThanAnAttributeMayBeForThatGpuOnly() {
    String uuid = "GPU-" + "ü".repeat(24) + "-0000-4000-8000";
    RawGpu odd =
        new RawGpu(
            3,
            3,
            uuid,
            "NVIDIA L4",
            14,
            8,
            8,
            9,
            23034 * MIB,
            "00000000:01:00.0",
            false,
            0,
            0,
            List.of(),
            List.of());

    assertThatThrownBy(() -> NvmlInventoryMapper.toGpu(odd))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than 64 bytes");
  }

  /** Found by ResourceSliceMapperFuzzTest: "0.-1" used to fail the mapping of the whole node. */
  @ParameterizedTest
  @CsvSource({"0, -1", "-1, 0"})
  void rejectsANegativeComputeCapabilityForThatGpuOnly(int major, int minor) {
    RawGpu odd =
        new RawGpu(
            3,
            3,
            "GPU-l4",
            "NVIDIA L4",
            14,
            8,
            major,
            minor,
            23034 * MIB,
            "00000000:01:00.0",
            false,
            0,
            0,
            List.of(),
            List.of());

    assertThatThrownBy(() -> NvmlInventoryMapper.toGpu(odd))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GPU 3")
        .hasMessageContaining("compute capability " + major + "." + minor);
  }

  /** Found by ResourceSliceMapperFuzzTest: -1 bytes used to fail the mapping of the whole node. */
  @Test
  void rejectsANegativeMemorySizeForThatGpuOnly() {
    RawGpu odd =
        new RawGpu(
            5,
            5,
            "GPU-l4",
            "NVIDIA L4",
            14,
            8,
            8,
            9,
            -1,
            "00000000:01:00.0",
            false,
            0,
            0,
            List.of(),
            List.of());

    assertThatThrownBy(() -> NvmlInventoryMapper.toGpu(odd))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GPU 5")
        .hasMessageContaining("-1 bytes");
  }

  @Test
  void gpuWithoutMigSupportHasNoMigMode() {
    RawGpu l4 =
        new RawGpu(
            0,
            0,
            "GPU-l4",
            "NVIDIA L4",
            14,
            8,
            8,
            9,
            23034 * MIB,
            "00000000:01:00.0",
            false,
            0,
            0,
            List.of(),
            List.of());

    Gpu gpu = NvmlInventoryMapper.toGpu(l4);

    assertThat(gpu.migMode()).isEqualTo(MigMode.NOT_CAPABLE);
    assertThat(gpu.brand()).isEqualTo("Nvidia");
    assertThat(gpu.architecture()).isEqualTo("Ada Lovelace");
    assertThat(gpu.cudaComputeCapability()).isEqualTo("8.9");
  }

  @ParameterizedTest
  @CsvSource({
    "00000000:07:00.0, 0000:07:00.0",
    "00000000:4E:00.0, 0000:4e:00.0",
    "0000:C1:00.1,     0000:c1:00.1",
    "00000001:0A:1F.7, 0001:0a:1f.7",
  })
  void pciBusIdsTakeKubernetesForm(String nvml, String expected) {
    assertThat(NvmlInventoryMapper.pciBusId(nvml)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"07:00.0", "0000:07:00", "zzzz:07:00.0", "00010000:07:00.0"})
  void rejectsMalformedBusIds(String nvml) {
    assertThatThrownBy(() -> NvmlInventoryMapper.pciBusId(nvml))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(nvml);
  }

  @ParameterizedTest
  @CsvSource({"12040, 12.4", "11080, 11.8", "13000, 13.0", "12090, 12.9"})
  void cudaDriverVersionBecomesMajorDotMinor(int nvml, String expected) {
    assertThat(NvmlInventoryMapper.cudaVersion(nvml)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "'MIG 1g.10gb',    1g.10gb",
    "'MIG 1g.10gb+me', 1g.10gb+me",
    "' MIG 7g.80gb ',  7g.80gb",
    "'4g.40gb',        4g.40gb",
  })
  void profileNamesDropNvmlsMigPrefix(String nvmlName, String expected) {
    assertThat(NvmlInventoryMapper.profileName(nvmlName)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"''", "'MIG '", "'   '"})
  void aProfileWithoutANameIsAnError(String nvmlName) {
    assertThatThrownBy(() -> NvmlInventoryMapper.profileName(nvmlName))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without a name");
  }

  /**
   * 'MIG *' was found by ResourceSliceMapperFuzzTest: a name without ASCII letters or digits gives
   * no device name, which failed the mapping of the whole node; now only that GPU is unmappable.
   */
  @ParameterizedTest
  @CsvSource({"'MIG *'", "'MIG é.'"})
  void aProfileNameWithoutLettersOrDigitsIsAnError(String nvmlName) {
    assertThatThrownBy(() -> NvmlInventoryMapper.profileName(nvmlName))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no letters or digits");
  }
}
