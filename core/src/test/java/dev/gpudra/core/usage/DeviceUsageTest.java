package dev.gpudra.core.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpecBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DeviceUsageTest {

  private static final String DRIVER = "gpu.gpudra.dev";
  private static final String H100 = "NVIDIA H100 80GB HBM3";

  private static Gpu h100(int minor, boolean migOn) {
    MigProfile oneG =
        new MigProfile(
            0,
            19,
            "1g.10gb",
            1,
            9856L << 20,
            new MigCounters(1, 16, 1, 1, 0, 1, 0),
            7,
            IntStream.range(0, 7).mapToObj(s -> new MigPlacement(s, 1)).toList());
    MigProfile sevenG =
        new MigProfile(
            4,
            0,
            "7g.80gb",
            7,
            80768L << 20,
            new MigCounters(8, 132, 8, 7, 0, 7, 1),
            1,
            List.of(new MigPlacement(0, 8)));
    return new Gpu(
        minor,
        minor,
        "GPU-" + minor,
        H100,
        "Nvidia",
        "Hopper",
        "9.0",
        81559L << 20,
        String.format("0000:%02x:00.0", 0x18 + minor),
        new MigMode(true, migOn, migOn),
        List.of(oneG, sevenG),
        List.of());
  }

  private static List<ResourceSlice> slices(String node, long generation, boolean dynamicMig) {
    List<ResourceSliceSpec> specs =
        ResourceSliceMapper.map(
            // With dynamic MIG the GPUs are in MIG mode and offered as placements, the case where
            // counters make devices unavailable; without, they are offered whole.
            new NodeInventory(
                "550.54.15", "12.4", List.of(h100(0, dynamicMig), h100(1, dynamicMig)), List.of()),
            new SliceMappingOptions(DRIVER, node, dynamicMig));
    List<ResourceSlice> slices = new ArrayList<>();
    for (ResourceSliceSpec spec : specs) {
      spec.getPool().setGeneration(generation);
      slices.add(
          new ResourceSliceBuilder()
              .withNewMetadata()
              .withName(node + slices.size())
              .endMetadata()
              .withSpec(spec)
              .build());
    }
    return slices;
  }

  private static ResourceClaim allocated(String pool, String... devices) {
    ResourceClaimBuilder claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withName("c")
            .withNamespace("ns")
            .endMetadata();
    var allocation = claim.withNewStatus().withNewAllocation().withNewDevices();
    for (String device : devices) {
      allocation
          .addNewResult()
          .withDriver(DRIVER)
          .withPool(pool)
          .withDevice(device)
          .withRequest("r")
          .endResult();
    }
    return allocation.endDevices().endAllocation().endStatus().build();
  }

  @Test
  void countsFullGpusByNodeProductTypeAndState() {
    Map<DeviceKey, Long> counts =
        DeviceUsage.count(slices("n1", 1, false), List.of(allocated("n1", "gpu-1")), DRIVER);

    assertThat(counts)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                new DeviceKey("n1", H100, "gpu", DeviceState.ALLOCATED), 1L,
                new DeviceKey("n1", H100, "gpu", DeviceState.FREE), 1L));
  }

  @Test
  void partitionsBlockedByAnAllocatedOverlapAreUnavailable() {
    Map<DeviceKey, Long> counts =
        DeviceUsage.count(
            slices("n1", 1, true), List.of(allocated("n1", "gpu-0-mig-1g10gb-19-3")), DRIVER);

    // GPU 0: the 1g at slice 3 is allocated; the 7g overlaps it; six 1g free.
    // GPU 1: everything free. Neither GPU is offered whole while in MIG mode.
    assertThat(counts.get(new DeviceKey("n1", H100, "mig", DeviceState.ALLOCATED))).isEqualTo(1L);
    assertThat(counts.get(new DeviceKey("n1", H100, "mig", DeviceState.UNAVAILABLE))).isEqualTo(1L);
    assertThat(counts.get(new DeviceKey("n1", H100, "mig", DeviceState.FREE))).isEqualTo(6L + 8L);
    assertThat(counts.keySet()).noneMatch(key -> key.type().equals("gpu"));
  }

  @Test
  void taintedDevicesAreCountedAsTainted() {
    List<ResourceSlice> slices = slices("n1", 1, false);
    var spec = slices.getFirst().getSpec();
    spec.setDevices(
        List.of(
            new DeviceBuilder(spec.getDevices().get(0))
                .addNewTaint()
                .withKey("gpu.gpudra.dev/xid")
                .withEffect("NoSchedule")
                .endTaint()
                .build(),
            spec.getDevices().get(1)));

    Map<DeviceKey, Long> counts = DeviceUsage.count(slices, List.of(), DRIVER);

    assertThat(counts.get(new DeviceKey("n1", H100, "gpu", DeviceState.TAINTED))).isEqualTo(1L);
    assertThat(counts.get(new DeviceKey("n1", H100, "gpu", DeviceState.FREE))).isEqualTo(1L);
  }

  @Test
  void onlyTheNewestGenerationOfAPoolAndOnlyOurDriverCount() {
    List<ResourceSlice> slices = new ArrayList<>(slices("n1", 2, false));
    slices.addAll(slices("n1", 1, false));
    ResourceSlice foreign = slices("n2", 1, false).getFirst();
    foreign.setSpec(
        new ResourceSliceSpecBuilder(foreign.getSpec()).withDriver("other.example.com").build());
    slices.add(foreign);

    Map<DeviceKey, Long> counts = DeviceUsage.count(slices, List.of(), DRIVER);

    assertThat(counts)
        .containsExactly(Map.entry(new DeviceKey("n1", H100, "gpu", DeviceState.FREE), 2L));
  }
}
