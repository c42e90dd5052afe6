package dev.gpudra.core.slice;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gpudra.core.device.DeviceFault;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.nvml.NvmlInventoryMapper;
import dev.gpudra.core.device.nvml.RawGpu;
import dev.gpudra.core.device.nvml.RawGpuInstanceProfile;
import dev.gpudra.core.device.nvml.RawMigDevice;
import dev.gpudra.core.device.nvml.RawPlacement;
import dev.gpudra.core.names.DriverNames;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Coverage-guided fuzzing of the path from NVML's answers to published ResourceSlices: odd product
 * names and UUIDs, huge GPU and placement counts, overlapping or out-of-range MIG placements, MIG
 * devices naming unknown profiles. As in discovery, a GPU whose values cannot be mapped becomes a
 * device fault ({@link IllegalArgumentException}); everything else must map to slices the API
 * server accepts. An {@link IllegalStateException} from the mapper's own checks is a finding: it
 * would leave the node's GPUs unpublished.
 */
class ResourceSliceMapperFuzzTest {

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final int MAX_GPUS = 300;

  @FuzzTest(maxDuration = "10s")
  void inventoriesFromNvmlValuesMapToValidSlices(FuzzedDataProvider data) {
    boolean dynamicMig = data.consumeBoolean();
    int count = data.consumeInt(0, MAX_GPUS);
    List<Gpu> gpus = new ArrayList<>();
    List<DeviceFault> faults = new ArrayList<>();
    for (int index = 0; index < count && data.remainingBytes() > 0; index++) {
      RawGpu raw = rawGpu(data, index);
      try {
        gpus.add(NvmlInventoryMapper.toGpu(raw));
      } catch (IllegalArgumentException unmappable) {
        faults.add(new DeviceFault(index, "mapping", unmappable.getMessage()));
      }
    }
    NodeInventory node = new NodeInventory("580.95.05", "13.0", gpus, faults);

    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(
            node, new SliceMappingOptions(DriverNames.DRIVER, "node-a", dynamicMig));

    assertThat(slices).isNotEmpty();
    Set<String> names = new HashSet<>();
    for (ResourceSliceSpec slice : slices) {
      assertThat(slice.getPool().getResourceSliceCount()).isEqualTo(slices.size());
      List<Device> devices = slice.getDevices() == null ? List.of() : slice.getDevices();
      boolean counters = devices.stream().anyMatch(d -> !d.getConsumesCounters().isEmpty());
      assertThat(devices.size())
          .isLessThanOrEqualTo(
              counters ? SliceLimits.MAX_DEVICES_WITH_ADVANCED_FEATURES : SliceLimits.MAX_DEVICES);
      if (slice.getSharedCounters() != null) {
        assertThat(slice.getSharedCounters().size())
            .isLessThanOrEqualTo(SliceLimits.MAX_COUNTER_SETS);
      }
      for (Device device : devices) {
        assertThat(device.getName()).matches(DNS_LABEL);
        assertThat(names.add(device.getName()))
            .as("device %s twice in the pool", device.getName())
            .isTrue();
      }
    }
  }

  private static RawGpu rawGpu(FuzzedDataProvider data, int index) {
    List<RawGpuInstanceProfile> profiles = new ArrayList<>();
    int profileCount = data.consumeInt(0, 6);
    for (int p = 0; p < profileCount; p++) {
      profiles.add(profile(data, p));
    }
    List<RawMigDevice> migDevices = new ArrayList<>();
    int migCount = data.consumeInt(0, 8);
    for (int m = 0; m < migCount; m++) {
      migDevices.add(
          new RawMigDevice(
              data.consumeBoolean() ? "MIG-" + uuid(data) : data.consumeString(60),
              data.consumeInt(-1, 20),
              data.consumeInt(-1, 20),
              data.consumeInt(-1, 20),
              new RawPlacement(data.consumeInt(-1, 9), data.consumeInt(-1, 9)),
              data.consumeLong(-1, 1L << 40)));
    }
    boolean migCapable = data.consumeBoolean();
    return new RawGpu(
        index,
        data.consumeBoolean() ? index : data.consumeInt(-2, 1 << 20),
        data.consumeBoolean() ? "GPU-" + uuid(data) : data.consumeString(60),
        data.consumeString(100),
        data.consumeInt(-1, 20),
        data.consumeInt(-1, 12),
        data.consumeInt(-1, 12),
        data.consumeInt(-1, 12),
        data.consumeLong(-1, Long.MAX_VALUE),
        data.consumeBoolean()
            ? String.format(Locale.ROOT, "%08X:%02X:00.0", data.consumeInt(0, 0xffff), index & 0xff)
            : data.consumeString(30),
        migCapable,
        data.consumeInt(-1, 2),
        data.consumeInt(-1, 2),
        profiles,
        migDevices);
  }

  private static RawGpuInstanceProfile profile(FuzzedDataProvider data, int index) {
    List<RawPlacement> placements = new ArrayList<>();
    int placementCount = data.consumeInt(0, 10);
    for (int i = 0; i < placementCount; i++) {
      placements.add(new RawPlacement(data.consumeInt(-1, 9), data.consumeInt(-1, 9)));
    }
    return new RawGpuInstanceProfile(
        index,
        data.consumeInt(-1, 40),
        data.consumeInt(-1, 9),
        data.consumeInt(-1, 10),
        data.consumeInt(-1, 200),
        data.consumeInt(-1, 9),
        data.consumeInt(-1, 9),
        data.consumeInt(-1, 9),
        data.consumeInt(-1, 9),
        data.consumeInt(-1, 9),
        data.consumeLong(-1, 1L << 30),
        data.consumeBoolean()
            ? "MIG " + data.consumeInt(1, 7) + "g." + data.consumeInt(1, 200) + "gb"
            : data.consumeString(40),
        placements);
  }

  private static String uuid(FuzzedDataProvider data) {
    return String.format(
        Locale.ROOT,
        "%08x-%04x-%04x-%04x-%012x",
        data.consumeInt(),
        data.consumeShort(),
        data.consumeShort(),
        data.consumeShort(),
        data.consumeLong() & 0xffff_ffff_ffffL);
  }
}
