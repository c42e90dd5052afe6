package dev.gpudra.core.checkpoint;

import java.util.Objects;

/**
 * The GPU instance and compute instance that NVML created for a {@link DynamicMig} device, and the
 * MIG device's UUID. Ids are per GPU and reused by NVML after destruction, so they are only trusted
 * together with the placement and profile recorded next to them.
 *
 * @param gpuInstanceId GPU instance id on the parent
 * @param computeInstanceId compute instance id within the GPU instance
 * @param uuid the MIG device's UUID ({@code MIG-...})
 */
public record MigInstanceIds(int gpuInstanceId, int computeInstanceId, String uuid) {

  /** Requires ids >= 0 and the UUID. */
  public MigInstanceIds {
    Objects.requireNonNull(uuid, "uuid");
    if (gpuInstanceId < 0 || computeInstanceId < 0) {
      throw new IllegalArgumentException(
          "negative GPU/compute instance id: " + gpuInstanceId + "/" + computeInstanceId);
    }
  }
}
