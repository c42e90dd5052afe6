package dev.gpudra.core.slice;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpecBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns a node's inventory into the ResourceSlices of its pool (pure).
 *
 * <p>What is published per GPU:
 *
 * <ul>
 *   <li>MIG off (or no MIG support): the full GPU, {@code gpu-<minor>}.
 *   <li>MIG on, static MIG: the MIG devices that exist ({@code type=mig}); the parent is not
 *       allocatable while it is partitioned.
 *   <li>Dynamic MIG: on a GPU with MIG mode on, every possible placement of every profile as a
 *       device consuming counters from the GPU's counter set; a GPU with MIG off is offered whole.
 *       With {@link SliceMappingOptions#switchesMigMode()} (a plugin that switches MIG mode at
 *       prepare time), a GPU that can toggle MIG without a reset (compute capability 9 and newer)
 *       is offered whole (consuming all counters) and as placements, whatever its mode.
 * </ul>
 *
 * <p>Splitting respects the API: counter sets go into counters-only slices (at most 8 each), and
 * devices into slices of at most 128, or 64 when they consume counters. The pool's generation is
 * left at 0 for the publisher to set; {@code resourceSliceCount} is exact.
 */
public final class ResourceSliceMapper {

  /** Compute capability major from which MIG mode can change without a GPU reset (Hopper). */
  private static final int MIG_TOGGLE_WITHOUT_RESET_CC_MAJOR = 9;

  private ResourceSliceMapper() {}

  /** The slices of one node's pool, in publishing order. */
  public static List<ResourceSliceSpec> map(NodeInventory node, SliceMappingOptions options) {
    List<CounterSet> counterSets = new ArrayList<>();
    List<Device> devices = new ArrayList<>();
    boolean usesCounters = false;
    List<Gpu> gpus = node.gpus().stream().sorted(Comparator.comparingInt(Gpu::minor)).toList();
    for (Gpu gpu : gpus) {
      if (options.dynamicMig() && offersDynamicMig(gpu, options.switchesMigMode())) {
        MigCounterSet counters = MigCounterSet.of(gpu);
        counterSets.add(counters.counterSet());
        devices.addAll(dynamicDevices(node, gpu, counters, options.switchesMigMode()));
        usesCounters = true;
      } else if (gpu.migMode().current()) {
        // Static MIG, or dynamic MIG where MIG cannot be managed: what exists is what is offered.
        gpu.migDevices().forEach(mig -> devices.add(staticMig(node, gpu, mig)));
      } else {
        devices.add(fullGpu(node, gpu));
      }
    }
    devices.forEach(SliceValidation::checkDevice);
    counterSets.forEach(SliceValidation::checkCounterSet);

    int perSlice =
        usesCounters ? SliceLimits.MAX_DEVICES_WITH_ADVANCED_FEATURES : SliceLimits.MAX_DEVICES;
    List<List<CounterSet>> counterChunks = chunk(counterSets, SliceLimits.MAX_COUNTER_SETS);
    List<List<Device>> deviceChunks = chunk(devices, perSlice);
    if (counterChunks.isEmpty() && deviceChunks.isEmpty()) {
      deviceChunks = List.of(List.of()); // an empty pool still shows the node runs the driver
    }
    long sliceCount = (long) counterChunks.size() + deviceChunks.size();
    List<ResourceSliceSpec> slices = new ArrayList<>();
    for (List<CounterSet> chunk : counterChunks) {
      slices.add(base(options, sliceCount).withSharedCounters(chunk).build());
    }
    for (List<Device> chunk : deviceChunks) {
      slices.add(base(options, sliceCount).withDevices(chunk).build());
    }
    return List.copyOf(slices);
  }

  /**
   * Whether the kubelet plugin (which does not switch MIG mode) publishes dynamic MIG placements
   * for the GPU: it needs MIG profiles and MIG mode on.
   */
  public static boolean offersDynamicMig(Gpu gpu) {
    return offersDynamicMig(gpu, false);
  }

  /**
   * Whether dynamic MIG placements are published for the GPU: it needs MIG profiles, and MIG must
   * be on already unless mode switching is on and the GPU can switch MIG on without a reset.
   */
  private static boolean offersDynamicMig(Gpu gpu, boolean switchesMigMode) {
    return gpu.migMode().capable()
        && !gpu.migProfiles().isEmpty()
        && (gpu.migMode().current() || (switchesMigMode && togglesMigWithoutReset(gpu)));
  }

  private static boolean togglesMigWithoutReset(Gpu gpu) {
    String major = gpu.cudaComputeCapability().split("\\.")[0];
    return Integer.parseInt(major) >= MIG_TOGGLE_WITHOUT_RESET_CC_MAJOR;
  }

  private static List<Device> dynamicDevices(
      NodeInventory node, Gpu gpu, MigCounterSet counters, boolean switchesMigMode) {
    List<Device> devices = new ArrayList<>();
    // The whole GPU next to its placements needs MIG mode switched off or on at prepare time.
    if (switchesMigMode && (!gpu.migMode().current() || togglesMigWithoutReset(gpu))) {
      devices.add(
          new DeviceBuilder(fullGpu(node, gpu))
              .withConsumesCounters(counters.fullGpuConsumption())
              .build());
    }
    for (MigProfile profile : gpu.migProfiles()) {
      for (MigPlacement placement : profile.placements()) {
        devices.add(
            new DeviceBuilder()
                .withName(
                    DeviceNames.mig(gpu.minor(), profile.name(), profile.id(), placement.start()))
                .withAttributes(DeviceAttributes.mig(node, gpu, profile.name(), null))
                .withCapacity(
                    DeviceAttributes.migCapacity(profile.memoryBytes(), profile.resources()))
                .withConsumesCounters(counters.placementConsumption(profile, placement))
                .build());
      }
    }
    return devices;
  }

  private static Device fullGpu(NodeInventory node, Gpu gpu) {
    return new DeviceBuilder()
        .withName(DeviceNames.gpu(gpu.minor()))
        .withAttributes(DeviceAttributes.gpu(node, gpu))
        .withCapacity(DeviceAttributes.gpuCapacity(gpu))
        .build();
  }

  private static Device staticMig(NodeInventory node, Gpu gpu, MigDevice mig) {
    boolean split =
        gpu.migDevices().stream()
                .filter(other -> other.gpuInstanceId() == mig.gpuInstanceId())
                .count()
            > 1;
    String name =
        split
            ? DeviceNames.migComputeInstance(
                gpu.minor(),
                mig.profileName(),
                mig.profileId(),
                mig.placement().start(),
                mig.computeInstanceId())
            : DeviceNames.mig(
                gpu.minor(), mig.profileName(), mig.profileId(), mig.placement().start());
    return new DeviceBuilder()
        .withName(name)
        .withAttributes(DeviceAttributes.mig(node, gpu, mig.profileName(), mig.uuid()))
        .withCapacity(DeviceAttributes.migCapacity(mig.memoryBytes(), mig.resources()))
        .build();
  }

  private static ResourceSliceSpecBuilder base(SliceMappingOptions options, long sliceCount) {
    return new ResourceSliceSpecBuilder()
        .withDriver(options.driverName())
        .withNodeName(options.nodeName())
        .withNewPool()
        .withName(options.nodeName())
        .withGeneration(0L)
        .withResourceSliceCount(sliceCount)
        .endPool();
  }

  private static <T> List<List<T>> chunk(List<T> items, int size) {
    List<List<T>> chunks = new ArrayList<>();
    for (int from = 0; from < items.size(); from += size) {
      chunks.add(List.copyOf(items.subList(from, Math.min(items.size(), from + size))));
    }
    return chunks;
  }
}
