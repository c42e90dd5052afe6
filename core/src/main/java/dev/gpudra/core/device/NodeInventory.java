package dev.gpudra.core.device;

import java.util.List;
import java.util.Objects;

/**
 * Everything discovery found on one node: the driver versions, the GPUs that could be read, and the
 * ones that could not.
 *
 * @param driverVersion kernel driver version, e.g. {@code 550.54.15}
 * @param cudaDriverVersion highest CUDA version the driver supports, as {@code major.minor}
 * @param gpus readable GPUs, ordered by NVML index
 * @param faults GPUs that failed to be read
 */
public record NodeInventory(
    String driverVersion, String cudaDriverVersion, List<Gpu> gpus, List<DeviceFault> faults) {

  public NodeInventory {
    Objects.requireNonNull(driverVersion, "driverVersion");
    Objects.requireNonNull(cudaDriverVersion, "cudaDriverVersion");
    gpus = List.copyOf(gpus);
    faults = List.copyOf(faults);
  }
}
