package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.testkit.nvml.FakeSysfs;
import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Discovery through JNA against the mock library and the profile's fake sysfs, for every shipped
 * profile: what comes out must be exactly what the profile describes.
 */
class NvmlDiscoveryIT {

  static final List<String> PROFILES = MockNvml.BUILT_IN_PROFILES;

  @TempDir Path stateDir;

  @AfterEach
  void clearMockSettings() {
    MockNvml.clearFromThisProcess();
  }

  /** Discovery on a fresh node serving {@code profile}, with the profile's fake sysfs. */
  private NodeInventory discover(String profile) throws IOException {
    Path sysfs = FakeSysfs.create(stateDir.resolve("sys"), MockNvml.load(profile));
    List<String> warnings = new ArrayList<>();
    try (NvmlSession session = MockSession.open(profile, stateDir)) {
      NodeInventory inventory =
          NvmlDeviceDiscovery.discover(session, new SysfsPciTopology(sysfs, warnings::add));
      assertThat(warnings).as("every GPU of %s has its sysfs entry", profile).isEmpty();
      return inventory;
    }
  }

  @ParameterizedTest
  @FieldSource("PROFILES")
  void discoversTheProfilesGpus(String name) throws IOException {
    MockProfile profile = MockNvml.load(name);

    NodeInventory inventory = discover(name);

    assertThat(inventory.faults()).isEmpty();
    assertThat(inventory.driverVersion()).isEqualTo(profile.driverVersion());
    assertThat(inventory.cudaDriverVersion())
        .isEqualTo(
            profile.cudaDriverVersion() / 1000 + "." + (profile.cudaDriverVersion() % 1000) / 10);
    assertThat(inventory.gpus()).hasSameSizeAs(profile.gpus());
    for (MockProfile.Gpu expected : profile.gpus()) {
      Gpu gpu = inventory.gpus().get(expected.index());
      assertThat(gpu.index()).isEqualTo(expected.index());
      assertThat(gpu.uuid()).isEqualTo(expected.uuid());
      assertThat(gpu.productName()).isEqualTo(expected.name());
      assertThat(gpu.minor()).isEqualTo(expected.minor());
      assertThat(gpu.memoryBytes()).isEqualTo(expected.memoryBytes());
      assertThat(gpu.pciBusId()).isEqualTo(expected.pci().busIdLegacy().toLowerCase(Locale.ROOT));
      assertThat(gpu.cudaComputeCapability())
          .isEqualTo(expected.computeCapabilityMajor() + "." + expected.computeCapabilityMinor());
      assertThat(gpu.migMode().capable()).isEqualTo(expected.migTable().isPresent());
      assertThat(gpu.migMode().current()).isEqualTo(expected.migEnabled());
      assertThat(gpu.migMode().pending()).isEqualTo(expected.migPending());
      assertThat(gpu.pciTopology().pcieRoot()).isEqualTo(expected.pcieRoot());
      assertThat(gpu.pciTopology().numaNode())
          .isEqualTo(
              expected.numaNode() < 0 ? OptionalInt.empty() : OptionalInt.of(expected.numaNode()));
    }
  }

  @ParameterizedTest
  @FieldSource("PROFILES")
  void discoversMigProfilesWithEveryPlacement(String name) throws IOException {
    MockProfile profile = MockNvml.load(name);

    NodeInventory inventory = discover(name);

    for (MockProfile.Gpu expected : profile.gpus()) {
      Gpu gpu = inventory.gpus().get(expected.index());
      if (expected.migTable().isEmpty()) {
        assertThat(gpu.migProfiles()).isEmpty();
        continue;
      }
      List<MockProfile.GpuInstanceProfile> table = expected.migTable().get().profiles();
      assertThat(gpu.migProfiles()).hasSameSizeAs(table);
      for (MockProfile.GpuInstanceProfile row : table) {
        MigProfile found =
            gpu.migProfiles().stream().filter(p -> p.id() == row.id()).findFirst().orElseThrow();
        assertThat(found.name()).isEqualTo(row.name());
        assertThat(found.profileIndex()).isEqualTo(row.enumIndex());
        assertThat(found.sliceCount()).isEqualTo(row.slices());
        assertThat(found.memoryBytes()).isEqualTo(row.memoryMib() << 20);
        assertThat(found.instanceCount()).isEqualTo(row.instances());
        assertThat(found.resources().multiprocessors()).isEqualTo(row.multiprocessors());
        assertThat(found.resources().copyEngines()).isEqualTo(row.copyEngines());
        assertThat(found.resources().decoders()).isEqualTo(row.decoders());
        assertThat(found.resources().encoders()).isEqualTo(row.encoders());
        assertThat(found.resources().jpegEngines()).isEqualTo(row.jpegEngines());
        assertThat(found.resources().ofaEngines()).isEqualTo(row.ofaEngines());
        assertThat(found.placements())
            .containsExactlyElementsOf(
                row.placements().stream().map(p -> new MigPlacement(p.start(), p.size())).toList());
      }
    }
  }

  @ParameterizedTest
  @FieldSource("PROFILES")
  void discoversExistingMigDevices(String name) throws IOException {
    MockProfile profile = MockNvml.load(name);

    NodeInventory inventory = discover(name);

    int total = 0;
    for (MockProfile.Gpu expected : profile.gpus()) {
      Gpu gpu = inventory.gpus().get(expected.index());
      List<String> expectedDevices =
          expected.migEnabled()
              ? expected.gpuInstances().stream()
                  .flatMap(
                      gi ->
                          gi.computeInstances().stream()
                              .map(
                                  ci ->
                                      key(
                                          gi.id(),
                                          ci.id(),
                                          gi.profile().name(),
                                          gi.placement().start(),
                                          gi.placement().size())))
                  .sorted()
                  .toList()
              : List.of();
      List<String> found =
          gpu.migDevices().stream()
              .map(
                  d ->
                      key(
                          d.gpuInstanceId(),
                          d.computeInstanceId(),
                          d.profileName(),
                          d.placement().start(),
                          d.placement().size()))
              .sorted()
              .toList();
      assertThat(found).as("MIG devices of GPU %d", expected.index()).isEqualTo(expectedDevices);
      for (MigDevice device : gpu.migDevices()) {
        assertThat(device.uuid()).startsWith("MIG-");
        assertThat(device.parentUuid()).isEqualTo(expected.uuid());
        assertThat(device.parentMinor()).isEqualTo(expected.minor());
        assertThat(device.memoryBytes()).isPositive();
      }
      total += found.size();
    }
    assertThat(total).isEqualTo(expectedMigDeviceCount(profile));
  }

  private static int expectedMigDeviceCount(MockProfile profile) {
    return profile.gpus().stream()
        .filter(MockProfile.Gpu::migEnabled)
        .flatMap(g -> g.gpuInstances().stream())
        .mapToInt(gi -> gi.computeInstances().size())
        .sum();
  }

  private static String key(int gi, int ci, String profile, int start, int size) {
    return gi + "/" + ci + " " + profile + " @" + start + "+" + size;
  }
}
