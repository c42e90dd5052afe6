package dev.gpudra.core.slice;

import static dev.gpudra.core.slice.TestInventories.a100;
import static dev.gpudra.core.slice.TestInventories.h100;
import static dev.gpudra.core.slice.TestInventories.h100s;
import static dev.gpudra.core.slice.TestInventories.l4;
import static dev.gpudra.core.slice.TestInventories.node;
import static dev.gpudra.core.slice.TestInventories.threeG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.PciTopology;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Counter;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResourceSliceMapperTest {

  private static final SliceMappingOptions STATIC =
      new SliceMappingOptions("gpu.gpudra.dev", "node-a", false);
  private static final SliceMappingOptions DYNAMIC =
      new SliceMappingOptions("gpu.gpudra.dev", "node-a", true);
  private static final MigMode MIG_OFF = new MigMode(true, false, false);
  private static final MigMode MIG_ON = new MigMode(true, true, true);

  private static List<Device> devices(List<ResourceSliceSpec> slices) {
    return slices.stream().flatMap(s -> s.getDevices().stream()).toList();
  }

  private static Device device(List<ResourceSliceSpec> slices, String name) {
    return devices(slices).stream().filter(d -> d.getName().equals(name)).findFirst().orElseThrow();
  }

  private static String string(Device device, String attribute) {
    return device.getAttributes().get(attribute).getString();
  }

  @Test
  void publishesFullGpusWithTheAttributesSelectorsUse() {
    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(node(a100(0, MIG_OFF, List.of()), l4(1)), STATIC);

    assertThat(slices).hasSize(1);
    ResourceSliceSpec slice = slices.getFirst();
    assertThat(slice.getDriver()).isEqualTo("gpu.gpudra.dev");
    assertThat(slice.getNodeName()).isEqualTo("node-a");
    assertThat(slice.getPool().getName()).isEqualTo("node-a");
    assertThat(slice.getPool().getResourceSliceCount()).isEqualTo(1L);
    assertThat(slice.getDevices()).extracting(Device::getName).containsExactly("gpu-0", "gpu-1");

    Device a100 = slice.getDevices().getFirst();
    assertThat(string(a100, "type")).isEqualTo("gpu");
    assertThat(string(a100, "uuid")).isEqualTo("GPU-a100a100-0000-4000-8000-000000000000");
    assertThat(string(a100, "productName")).isEqualTo("NVIDIA A100-SXM4-80GB");
    assertThat(string(a100, "architecture")).isEqualTo("Ampere");
    assertThat(string(a100, "brand")).isEqualTo("Nvidia");
    assertThat(a100.getAttributes().get("cudaComputeCapability").getVersion()).isEqualTo("8.0.0");
    assertThat(a100.getAttributes().get("driverVersion").getVersion()).isEqualTo("550.54.15");
    assertThat(a100.getAttributes().get("cudaDriverVersion").getVersion()).isEqualTo("12.4.0");
    assertThat(string(a100, "resource.kubernetes.io/pciBusID")).isEqualTo("0000:07:00.0");
    assertThat(a100.getCapacity().get("memory").getValue()).isEqualTo(new Quantity("80Gi"));
    assertThat(a100.getConsumesCounters()).isEmpty();
  }

  /**
   * NVML allows product names of up to 96 bytes, the API server string attributes of 64 (found by
   * fuzzing the mapper's NVML inputs: the whole node went unpublished). Cut at a character.
   */
  @Test
  void aProductNameLongerThanAnAttributeMayBeIsPublishedCutTo64Bytes() {
    String ascii = "NVIDIA " + "X".repeat(89);
    String accented = "NVIDIA A100 " + "é".repeat(40);
    Gpu l4 = l4(0);
    Gpu longAscii =
        new Gpu(
            0,
            0,
            l4.uuid(),
            ascii,
            l4.brand(),
            l4.architecture(),
            l4.cudaComputeCapability(),
            l4.memoryBytes(),
            l4.pciBusId(),
            l4.pciTopology(),
            l4.migMode(),
            List.of(),
            List.of());
    Gpu longAccented =
        new Gpu(
            1,
            1,
            "GPU-14141414-0000-4000-8000-000000000001",
            accented,
            l4.brand(),
            l4.architecture(),
            l4.cudaComputeCapability(),
            l4.memoryBytes(),
            "0000:02:00.0",
            l4.pciTopology(),
            l4.migMode(),
            List.of(),
            List.of());

    List<ResourceSliceSpec> slices = ResourceSliceMapper.map(node(longAscii, longAccented), STATIC);

    assertThat(devices(slices)).extracting(Device::getName).containsExactly("gpu-0", "gpu-1");
    assertThat(string(devices(slices).get(0), "productName")).isEqualTo(ascii.substring(0, 64));
    // 12 ASCII bytes and 26 two-byte characters: 64 bytes; a 27th would make 66.
    assertThat(string(devices(slices).get(1), "productName"))
        .isEqualTo("NVIDIA A100 " + "é".repeat(26));
  }

  @Test
  void gpusAndTheirMigDevicesCarryThePcieRootAndNumaNodeWhereKnown() {
    NodeInventory inventory =
        node(
            a100(0, MIG_ON, List.of(threeG(0)))
                .withPciTopology(new PciTopology(Optional.of("pci0000:00"), OptionalInt.of(0))),
            a100(1, MIG_OFF, List.of())
                .withPciTopology(new PciTopology(Optional.of("pci0000:80"), OptionalInt.of(1))),
            l4(2).withPciTopology(new PciTopology(Optional.of("pci0000:c0"), OptionalInt.empty())),
            h100(3, MIG_OFF));

    List<ResourceSliceSpec> slices = ResourceSliceMapper.map(inventory, STATIC);

    Device mig = device(slices, "gpu-0-mig-3g40gb-9-4");
    assertThat(string(mig, DeviceAttributes.PCIE_ROOT)).isEqualTo("pci0000:00");
    assertThat(mig.getAttributes().get(DeviceAttributes.NUMA_NODE).getInt()).isZero();
    Device a100 = device(slices, "gpu-1");
    assertThat(string(a100, "resource.kubernetes.io/pcieRoot")).isEqualTo("pci0000:80");
    assertThat(a100.getAttributes().get("resource.kubernetes.io/numaNode").getInt()).isEqualTo(1L);
    Device l4 = device(slices, "gpu-2");
    assertThat(string(l4, DeviceAttributes.PCIE_ROOT)).isEqualTo("pci0000:c0");
    assertThat(l4.getAttributes()).doesNotContainKey(DeviceAttributes.NUMA_NODE);
    assertThat(device(slices, "gpu-3").getAttributes())
        .doesNotContainKeys(DeviceAttributes.PCIE_ROOT, DeviceAttributes.NUMA_NODE)
        .containsKey(DeviceAttributes.PCI_BUS_ID);
  }

  @Test
  void dynamicMigPlacementsCarryTheirGpusPcieRoot() {
    NodeInventory inventory =
        node(
            h100(0, MIG_ON)
                .withPciTopology(new PciTopology(Optional.of("pci0000:15"), OptionalInt.of(0))));

    List<ResourceSliceSpec> slices = ResourceSliceMapper.map(inventory, DYNAMIC);

    assertThat(devices(slices))
        .hasSizeGreaterThan(1)
        .allSatisfy(d -> assertThat(string(d, DeviceAttributes.PCIE_ROOT)).isEqualTo("pci0000:15"));
  }

  @Test
  void staticMigPublishesExistingMigDevicesInsteadOfTheirParent() {
    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(node(a100(0, MIG_ON, List.of(threeG(0)))), STATIC);

    assertThat(devices(slices)).extracting(Device::getName).containsExactly("gpu-0-mig-3g40gb-9-4");
    Device mig = devices(slices).getFirst();
    assertThat(string(mig, "type")).isEqualTo("mig");
    assertThat(string(mig, "uuid")).isEqualTo("MIG-3g3g3g3g-0000-4000-8000-000000000000");
    assertThat(string(mig, "parentUUID")).isEqualTo("GPU-a100a100-0000-4000-8000-000000000000");
    assertThat(string(mig, "profile")).isEqualTo("3g.40gb");
    assertThat(string(mig, "productName")).isEqualTo("NVIDIA A100-SXM4-80GB");
    assertThat(mig.getCapacity().get("memory").getValue()).isEqualTo(new Quantity("40192Mi"));
    assertThat(mig.getCapacity().get("multiprocessors").getValue()).isEqualTo(new Quantity("42"));
    assertThat(mig.getCapacity().get("copyEngines").getValue()).isEqualTo(new Quantity("3"));
  }

  @Test
  void computeInstancesSplittingOneGpuInstanceGetDistinctNames() {
    MigDevice first = threeG(0);
    MigDevice second =
        new MigDevice(
            "MIG-second",
            first.parentUuid(),
            0,
            first.profileName(),
            first.profileId(),
            first.gpuInstanceId(),
            1,
            first.placement(),
            first.memoryBytes(),
            first.resources());

    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(node(a100(0, MIG_ON, List.of(first, second))), STATIC);

    assertThat(devices(slices))
        .extracting(Device::getName)
        .containsExactly("gpu-0-mig-3g40gb-9-4-c0", "gpu-0-mig-3g40gb-9-4-c1");
  }

  @Test
  void dynamicMigOnAmpereWithMigOnOffersEveryPlacementButNotTheParent() {
    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(node(a100(2, MIG_ON, List.of())), DYNAMIC);

    assertThat(slices).hasSize(2);
    assertThat(slices.get(0).getSharedCounters()).hasSize(1);
    assertThat(slices.get(0).getDevices()).isEmpty();
    assertThat(slices.get(1).getSharedCounters()).isEmpty();
    assertThat(slices)
        .allSatisfy(s -> assertThat(s.getPool().getResourceSliceCount()).isEqualTo(2L));
    List<Device> devices = devices(slices);
    assertThat(devices).hasSize(7 + 3 + 2 + 1 + 1 + 7 + 4);
    assertThat(devices).extracting(Device::getName).doesNotContain("gpu-2");
    assertThat(devices)
        .extracting(Device::getName)
        .contains(
            "gpu-2-mig-1g10gb-19-0",
            "gpu-2-mig-1g10gb-19-6",
            "gpu-2-mig-1g10gb-me-20-3",
            "gpu-2-mig-1g20gb-15-6",
            "gpu-2-mig-3g40gb-9-4",
            "gpu-2-mig-7g80gb-0-0");
    assertThat(devices).allSatisfy(d -> assertThat(d.getAttributes()).doesNotContainKey("uuid"));
  }

  @Test
  void dynamicMigOnAmpereWithMigOffOffersOnlyTheFullGpu() {
    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(node(a100(0, MIG_OFF, List.of())), DYNAMIC);

    assertThat(devices(slices)).extracting(Device::getName).containsExactly("gpu-0");
    assertThat(slices).allSatisfy(s -> assertThat(s.getSharedCounters()).isEmpty());
  }

  @Test
  void dynamicMigOnHopperWithMigOnPublishesTheGpusCounterSetAndNoFullGpu() {
    List<ResourceSliceSpec> slices = ResourceSliceMapper.map(node(h100(0, MIG_ON)), DYNAMIC);

    Map<String, Counter> totals = slices.get(0).getSharedCounters().getFirst().getCounters();
    assertThat(slices.get(0).getSharedCounters().getFirst().getName())
        .isEqualTo("gpu-0-counter-set");
    assertThat(totals)
        .containsEntry("multiprocessors", new Counter(new Quantity("132")))
        .containsEntry("copy-engines", new Counter(new Quantity("8")))
        .containsEntry("memory", new Counter(new Quantity("80768Mi")))
        .containsKeys("memory-slice-0", "memory-slice-7", "decoders", "jpeg-engines", "ofa-engines")
        .doesNotContainKey("memory-slice-8")
        .doesNotContainKey("encoders");
    assertThat(devices(slices)).extracting(Device::getName).doesNotContain("gpu-0");
  }

  @Test
  void dynamicMigOnHopperWithoutModeSwitchingOffersTheGpuAsItsModeIs() {
    List<ResourceSliceSpec> off = ResourceSliceMapper.map(node(h100(0, MIG_OFF)), DYNAMIC);
    assertThat(devices(off)).extracting(Device::getName).containsExactly("gpu-0");
    assertThat(off).allSatisfy(s -> assertThat(s.getSharedCounters()).isEmpty());

    List<ResourceSliceSpec> on = ResourceSliceMapper.map(node(h100(0, MIG_ON)), DYNAMIC);
    assertThat(devices(on)).isNotEmpty();
    assertThat(devices(on))
        .extracting(Device::getName)
        .doesNotContain("gpu-0")
        .allMatch(name -> name.startsWith("gpu-0-mig-"));
  }

  @Test
  void aPlacementConsumesItsProfileAndExactlyTheMemorySlicesItSpans() {
    List<ResourceSliceSpec> slices = ResourceSliceMapper.map(node(h100(0, MIG_ON)), DYNAMIC);

    Map<String, Counter> consumed =
        device(slices, "gpu-0-mig-3g40gb-9-4").getConsumesCounters().getFirst().getCounters();
    assertThat(consumed.keySet())
        .containsExactlyInAnyOrder(
            "multiprocessors",
            "copy-engines",
            "decoders",
            "jpeg-engines",
            "memory",
            "memory-slice-4",
            "memory-slice-5",
            "memory-slice-6",
            "memory-slice-7");
    assertThat(consumed.get("multiprocessors")).isEqualTo(new Counter(new Quantity("60")));
    assertThat(consumed.get("memory-slice-5")).isEqualTo(new Counter(new Quantity("1")));
  }

  @Test
  void overlappingPlacementsShareAMemorySliceCounterAndDisjointOnesDoNot() {
    List<Device> devices =
        devices(ResourceSliceMapper.map(node(a100(0, MIG_ON, List.of())), DYNAMIC));

    int overlapping = 0;
    for (Device a : devices) {
      for (Device b : devices) {
        if (a.getName().equals(b.getName())) {
          continue;
        }
        DeviceNames.Parsed.Mig pa =
            (DeviceNames.Parsed.Mig) DeviceNames.parse(a.getName()).orElseThrow();
        DeviceNames.Parsed.Mig pb =
            (DeviceNames.Parsed.Mig) DeviceNames.parse(b.getName()).orElseThrow();
        Set<String> shared = new HashSet<>(memorySlices(a));
        shared.retainAll(memorySlices(b));
        int aEnd = pa.placementStart() + memorySlices(a).size();
        int bEnd = pb.placementStart() + memorySlices(b).size();
        boolean overlap = pa.placementStart() < bEnd && pb.placementStart() < aEnd;
        assertThat(!shared.isEmpty()).as("%s vs %s", a.getName(), b.getName()).isEqualTo(overlap);
        overlapping += overlap ? 1 : 0;
      }
    }
    assertThat(overlapping).isPositive();
  }

  private static Set<String> memorySlices(Device device) {
    Set<String> slices =
        new HashSet<>(device.getConsumesCounters().getFirst().getCounters().keySet());
    slices.removeIf(name -> !name.startsWith("memory-slice-"));
    return slices;
  }

  @Test
  void eightDynamicMigGpusAreSplitWithinTheApiLimits() {
    NodeInventory eight = h100s(8);

    List<ResourceSliceSpec> slices = ResourceSliceMapper.map(eight, DYNAMIC);

    int devicesPerGpu = 7 + 3 + 2 + 1 + 1 + 7 + 4;
    assertThat(devices(slices)).hasSize(8 * devicesPerGpu);
    assertThat(slices).hasSize(1 + (8 * devicesPerGpu + 63) / 64);
    for (ResourceSliceSpec slice : slices) {
      assertThat(slice.getPool().getResourceSliceCount()).isEqualTo((long) slices.size());
      assertThat(slice.getDevices().isEmpty() || slice.getSharedCounters().isEmpty())
          .as("a slice holds devices or counters, never both")
          .isTrue();
      assertThat(slice.getDevices()).hasSizeLessThanOrEqualTo(64);
      assertThat(slice.getSharedCounters()).hasSizeLessThanOrEqualTo(8);
    }
    assertThat(devices(slices).stream().map(Device::getName).distinct()).hasSize(8 * devicesPerGpu);
  }

  @Test
  void nodeWithoutGpusPublishesOneEmptySlice() {
    List<ResourceSliceSpec> slices = ResourceSliceMapper.map(node(), STATIC);

    assertThat(slices).singleElement().satisfies(s -> assertThat(s.getDevices()).isEmpty());
    assertThat(slices.getFirst().getPool().getResourceSliceCount()).isEqualTo(1L);
  }

  @Test
  void mappingIsDeterministic() {
    assertThat(ResourceSliceMapper.map(h100s(3), DYNAMIC))
        .isEqualTo(ResourceSliceMapper.map(h100s(3), DYNAMIC));
  }
}
