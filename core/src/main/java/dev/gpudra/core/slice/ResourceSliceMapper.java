package dev.gpudra.core.slice;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.health.DeviceHealthState;
import dev.gpudra.core.health.DeviceTaints;
import dev.gpudra.core.health.HealthCondition;
import dev.gpudra.core.mig.MigManagement;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
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
 *   <li>MIG off (or no MIG support): the full GPU, {@code gpu-<minor>}; with fractional GPUs it is
 *       shareable, with consumable {@code memory} and {@code cores} ({@link FractionalCapacity}).
 *   <li>MIG on, static MIG: the MIG devices that exist ({@code type=mig}); the parent is not
 *       allocatable while it is partitioned.
 *   <li>Dynamic MIG: on a GPU with MIG mode on, every possible placement of every profile as a
 *       device consuming counters from the GPU's counter set; a GPU with MIG off is offered whole.
 * </ul>
 *
 * <p>Which of these applies to a GPU is {@link MigManagement#offer}'s decision.
 *
 * <p>Splitting respects the API: counter sets go into counters-only slices (at most 8 each), and
 * devices into slices of at most 128, or 64 when they consume counters. The pool's generation is
 * left at 0 for the publisher to set; {@code resourceSliceCount} is exact.
 */
public final class ResourceSliceMapper {

  private ResourceSliceMapper() {}

  /** The slices of one node's pool, in publishing order, with no health conditions. */
  public static List<ResourceSliceSpec> map(NodeInventory node, SliceMappingOptions options) {
    return map(node, options, List.of());
  }

  /**
   * The slices of one node's pool, in publishing order; every device covered by a health condition
   * carries its taints ({@link DeviceTaints}), and slices shrink to the 64 devices the API allows
   * once any device is tainted.
   */
  public static List<ResourceSliceSpec> map(
      NodeInventory node, SliceMappingOptions options, List<HealthCondition> health) {
    List<CounterSet> counterSets = new ArrayList<>();
    List<Device> devices = new ArrayList<>();
    boolean usesCounters = false;
    MigManagement policy = options.migManagement();
    List<Gpu> gpus = node.gpus().stream().sorted(Comparator.comparingInt(Gpu::minor)).toList();
    for (Gpu gpu : gpus) {
      switch (policy.offer(gpu)) {
        case PLACEMENTS -> {
          MigCounterSet counters = MigCounterSet.of(gpu);
          counterSets.add(counters.counterSet());
          devices.addAll(placements(node, gpu, counters));
          usesCounters = true;
        }
        case EXISTING_MIG_DEVICES ->
            gpu.migDevices().forEach(mig -> devices.add(staticMig(node, gpu, mig)));
        case WHOLE -> devices.add(fullGpu(node, gpu, options.fractionalGpus()));
      }
    }
    boolean usesTaints = false;
    for (int i = 0; i < devices.size(); i++) {
      List<DeviceTaint> taints =
          DeviceTaints.of(DeviceHealthState.covering(devices.get(i).getName(), health));
      if (!taints.isEmpty()) {
        devices.set(i, new DeviceBuilder(devices.get(i)).withTaints(taints).build());
        usesTaints = true;
      }
    }
    devices.forEach(SliceValidation::checkDevice);
    counterSets.forEach(SliceValidation::checkCounterSet);

    int perSlice =
        usesCounters || usesTaints
            ? SliceLimits.MAX_DEVICES_WITH_ADVANCED_FEATURES
            : SliceLimits.MAX_DEVICES;
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

  private static List<Device> placements(NodeInventory node, Gpu gpu, MigCounterSet counters) {
    List<Device> devices = new ArrayList<>();
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

  // A shareable GPU is the only device of its GPU: whole use is the share of all its capacity, so
  // whole and fractional use of one GPU can never be allocated side by side.
  private static Device fullGpu(NodeInventory node, Gpu gpu, boolean fractional) {
    DeviceBuilder device =
        new DeviceBuilder()
            .withName(DeviceNames.gpu(gpu.minor()))
            .withAttributes(DeviceAttributes.gpu(node, gpu));
    if (fractional) {
      return device
          .withAllowMultipleAllocations(true)
          .withCapacity(FractionalCapacity.of(gpu))
          .build();
    }
    return device.withCapacity(DeviceAttributes.gpuCapacity(gpu)).build();
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
