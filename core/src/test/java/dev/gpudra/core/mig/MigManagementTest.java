package dev.gpudra.core.mig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.PciTopology;
import dev.gpudra.core.mig.MigManagement.Offer;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigManagementTest {

  private static final MigMode ON = new MigMode(true, true, true);
  private static final MigMode OFF = new MigMode(true, false, false);
  private static final MigProfile ONE_G =
      new MigProfile(
          19,
          0,
          "1g.10gb",
          1,
          10L << 30,
          new MigCounters(1, 14, 1, 0, 0, 0, 0),
          7,
          List.of(new MigPlacement(0, 1)));

  private static Gpu gpu(int minor, MigMode mode, List<MigProfile> profiles) {
    return gpu(minor, "8.0", mode, profiles);
  }

  private static Gpu gpu(int minor, String cc, MigMode mode, List<MigProfile> profiles) {
    return new Gpu(
        minor,
        minor,
        "GPU-" + minor,
        "NVIDIA A100-SXM4-80GB",
        "Nvidia",
        "Ampere",
        cc,
        80L << 30,
        String.format("0000:%02x:00.0", minor + 1),
        PciTopology.UNKNOWN,
        mode,
        profiles,
        List.of());
  }

  @Test
  void dynamicMigOffersPlacementsOnlyOfManagedGpusInMigMode() {
    MigManagement dynamic = new MigManagement(true);

    assertThat(dynamic.offer(gpu(0, ON, List.of(ONE_G)))).isEqualTo(Offer.PLACEMENTS);
    assertThat(dynamic.offer(gpu(1, OFF, List.of(ONE_G)))).isEqualTo(Offer.WHOLE);
    assertThat(dynamic.offer(gpu(2, ON, List.of()))).isEqualTo(Offer.EXISTING_MIG_DEVICES);
    assertThat(dynamic.offer(gpu(3, MigMode.NOT_CAPABLE, List.of()))).isEqualTo(Offer.WHOLE);
  }

  @Test
  void staticMigOffersAGpuAsItsModeIs() {
    MigManagement fixed = new MigManagement(false);

    assertThat(fixed.offer(gpu(0, ON, List.of(ONE_G)))).isEqualTo(Offer.EXISTING_MIG_DEVICES);
    assertThat(fixed.offer(gpu(1, OFF, List.of(ONE_G)))).isEqualTo(Offer.WHOLE);
    assertThat(fixed.managesMig(gpu(0, ON, List.of(ONE_G)))).isFalse();
  }

  @Test
  void ownsOnlyGpusThatOfferDynamicMigAndAreInMigMode() {
    MigManagement dynamic = new MigManagement(true);
    Gpu a100On = gpu(0, "8.0", ON, List.of(ONE_G));
    Gpu h100Off = gpu(1, "9.0", OFF, List.of(ONE_G));
    Gpu noProfiles = gpu(2, "8.0", ON, List.of());
    Gpu noMig = gpu(3, "8.9", MigMode.NOT_CAPABLE, List.of());

    assertThat(dynamic.managesMig(h100Off)).as("managed, though not owned").isTrue();
    assertThat(
            dynamic.ownedGpus(
                new NodeInventory(
                    "550.54.15", "12.4", List.of(a100On, h100Off, noProfiles, noMig), List.of())))
        .containsExactly(a100On);
    assertThat(
            new MigManagement(false)
                .ownedGpus(new NodeInventory("550.54.15", "12.4", List.of(a100On), List.of())))
        .isEmpty();
  }
}
