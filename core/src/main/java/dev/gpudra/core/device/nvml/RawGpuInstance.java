package dev.gpudra.core.device.nvml;

import java.util.List;

/**
 * One GPU instance as NVML lists it ({@code nvmlGpuInstanceInfo_t}), with its compute instances. A
 * GPU instance without compute instances exists (it holds its memory slices) but is no MIG device
 * yet.
 *
 * @param id GPU instance id on its GPU
 * @param profileId its GPU-instance profile id
 * @param placement where it sits
 * @param computeInstances its compute instances, by id
 */
public record RawGpuInstance(
    int id, int profileId, RawPlacement placement, List<RawComputeInstance> computeInstances) {

  /** Copies the list. */
  public RawGpuInstance {
    computeInstances = List.copyOf(computeInstances);
  }
}
