package dev.gpudra.core.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Everything discovery found on one node: the driver versions, the GPUs that could be read, and the
 * ones that could not.
 *
 * <p>Invariant: no two GPUs share a minor number. Devices are named by minor ({@code gpu-<minor>})
 * and the container sees {@code /dev/nvidia<minor>}, so GPUs the driver reports with the same minor
 * cannot be told apart: every one of them becomes a fault, and the node's other GPUs are published
 * as usual.
 *
 * @param driverVersion kernel driver version, e.g. {@code 550.54.15}
 * @param cudaDriverVersion highest CUDA version the driver supports, as {@code major.minor}
 * @param gpus readable GPUs with distinct minor numbers, ordered by NVML index
 * @param faults GPUs that failed to be read, or that share their minor number with another GPU
 */
public record NodeInventory(
    String driverVersion, String cudaDriverVersion, List<Gpu> gpus, List<DeviceFault> faults) {

  public NodeInventory {
    Objects.requireNonNull(driverVersion, "driverVersion");
    Objects.requireNonNull(cudaDriverVersion, "cudaDriverVersion");
    Map<Integer, Long> perMinor =
        gpus.stream().collect(Collectors.groupingBy(Gpu::minor, Collectors.counting()));
    List<Gpu> distinct = new ArrayList<>();
    List<DeviceFault> allFaults = new ArrayList<>(faults);
    for (Gpu gpu : gpus) {
      if (perMinor.get(gpu.minor()) > 1) {
        allFaults.add(
            new DeviceFault(
                gpu.index(),
                "mapping",
                "minor number "
                    + gpu.minor()
                    + " is reported for "
                    + perMinor.get(gpu.minor())
                    + " GPUs; none of them can be named apart"));
      } else {
        distinct.add(gpu);
      }
    }
    gpus = List.copyOf(distinct);
    faults = List.copyOf(allFaults);
  }
}
