package dev.gpudra.core.slice;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Counter;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSetBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumptionBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shared counters of one MIG-capable GPU for dynamic MIG. Every placement consumes its
 * profile's engines and memory plus one counter per memory slice it spans; the full GPU consumes
 * everything. Because the per-slice counters have value 1, the scheduler can never allocate two
 * overlapping placements, nor a placement and the full GPU.
 *
 * <p>Engine and memory totals are the largest any single profile takes (the full-GPU profile), as
 * those are what MIG can hand out; the GPU's raw SM count is higher than MIG can use.
 */
final class MigCounterSet {

  static final String MULTIPROCESSORS = "multiprocessors";
  static final String COPY_ENGINES = "copy-engines";
  static final String DECODERS = "decoders";
  static final String ENCODERS = "encoders";
  static final String JPEG_ENGINES = "jpeg-engines";
  static final String OFA_ENGINES = "ofa-engines";
  static final String MEMORY = "memory";

  private final String name;
  private final Map<String, Long> totals;
  private final int memorySlices;

  private MigCounterSet(String name, Map<String, Long> totals, int memorySlices) {
    this.name = name;
    this.totals = totals;
    this.memorySlices = memorySlices;
  }

  /** The counter set of a GPU; the GPU must offer at least one MIG profile. */
  static MigCounterSet of(Gpu gpu) {
    if (gpu.migProfiles().isEmpty()) {
      throw new IllegalArgumentException("GPU " + gpu.uuid() + " offers no MIG profiles");
    }
    Map<String, Long> totals = new LinkedHashMap<>();
    int slices = 0;
    for (MigProfile profile : gpu.migProfiles()) {
      max(totals, MULTIPROCESSORS, profile.resources().multiprocessors());
      max(totals, COPY_ENGINES, profile.resources().copyEngines());
      max(totals, DECODERS, profile.resources().decoders());
      max(totals, ENCODERS, profile.resources().encoders());
      max(totals, JPEG_ENGINES, profile.resources().jpegEngines());
      max(totals, OFA_ENGINES, profile.resources().ofaEngines());
      max(totals, MEMORY, profile.memoryBytes());
      for (MigPlacement placement : profile.placements()) {
        slices = Math.max(slices, placement.end());
      }
    }
    return new MigCounterSet(counterSetName(gpu.minor()), totals, slices);
  }

  /** {@code gpu-<minor>-counter-set}. */
  static String counterSetName(int minor) {
    return "gpu-" + minor + "-counter-set";
  }

  static String memorySliceCounter(int slice) {
    return "memory-slice-" + slice;
  }

  String name() {
    return name;
  }

  /** The counter set published in a counters-only slice. */
  CounterSet counterSet() {
    return new CounterSetBuilder().withName(name).withCounters(allCounters()).build();
  }

  /** What one placement of a profile consumes. */
  DeviceCounterConsumption placementConsumption(MigProfile profile, MigPlacement placement) {
    if (placement.end() > memorySlices) {
      throw new IllegalArgumentException(
          "placement " + placement + " exceeds the GPU's " + memorySlices + " memory slices");
    }
    Map<String, Counter> counters = new LinkedHashMap<>();
    put(counters, MULTIPROCESSORS, Quantities.count(profile.resources().multiprocessors()));
    put(counters, COPY_ENGINES, Quantities.count(profile.resources().copyEngines()));
    put(counters, DECODERS, Quantities.count(profile.resources().decoders()));
    put(counters, ENCODERS, Quantities.count(profile.resources().encoders()));
    put(counters, JPEG_ENGINES, Quantities.count(profile.resources().jpegEngines()));
    put(counters, OFA_ENGINES, Quantities.count(profile.resources().ofaEngines()));
    put(counters, MEMORY, Quantities.bytes(profile.memoryBytes()));
    for (int slice = placement.start(); slice < placement.end(); slice++) {
      put(counters, memorySliceCounter(slice), Quantities.count(1));
    }
    return consumption(counters);
  }

  private Map<String, Counter> allCounters() {
    Map<String, Counter> counters = new LinkedHashMap<>();
    totals.forEach(
        (counter, total) ->
            put(
                counters,
                counter,
                MEMORY.equals(counter) ? Quantities.bytes(total) : Quantities.count(total)));
    for (int slice = 0; slice < memorySlices; slice++) {
      put(counters, memorySliceCounter(slice), Quantities.count(1));
    }
    return counters;
  }

  private DeviceCounterConsumption consumption(Map<String, Counter> counters) {
    return new DeviceCounterConsumptionBuilder()
        .withCounterSet(name)
        .withCounters(counters)
        .build();
  }

  /** Zero counters are left out: they constrain nothing and only add to the slice's size. */
  private static void put(Map<String, Counter> counters, String name, Quantity value) {
    if (!"0".equals(value.toString())) {
      counters.put(name, new Counter(value));
    }
  }

  private static void max(Map<String, Long> totals, String counter, long value) {
    totals.merge(counter, value, Math::max);
  }
}
