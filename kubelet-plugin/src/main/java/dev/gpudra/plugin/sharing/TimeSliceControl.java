package dev.gpudra.plugin.sharing;

import dev.gpudra.core.config.TimeSliceInterval;

/**
 * Sets a full GPU's compute time slice: the length of the slices the GPU gives each CUDA context
 * when several share it. NVML (12.4, and 13.3) has no public setter for it, so the production
 * implementation ({@link NvidiaSmiTimeSlices}) goes through the driver's {@code nvidia-smi}.
 */
public interface TimeSliceControl {

  /**
   * Sets GPU {@code gpuUuid}'s time slice to {@code interval}; idempotent.
   *
   * @throws DriverToolException when the GPU or the driver refused
   */
  void set(String gpuUuid, TimeSliceInterval interval) throws DriverToolException;
}
