package dev.gpudra.core.device;

import java.util.List;
import java.util.Objects;

/**
 * A GPU-instance profile a MIG-capable GPU offers, with every placement at which an instance of it
 * could be created on an empty GPU.
 *
 * @param profileIndex NVML's profile enum value ({@code NVML_GPU_INSTANCE_PROFILE_*}) used to ask
 *     for this profile
 * @param id the profile id the driver reports ({@code nvidia-smi mig -lgip} "ID"), used in MIG
 *     device names
 * @param name canonical name such as {@code 1g.10gb} or {@code 1g.10gb+me}
 * @param sliceCount compute slices of the profile (the "1" in 1g)
 * @param memoryBytes memory of one instance
 * @param resources what one instance takes from the GPU
 * @param instanceCount how many instances fit on an empty GPU
 * @param placements possible placements on an empty GPU, in NVML's order
 */
public record MigProfile(
    int profileIndex,
    int id,
    String name,
    int sliceCount,
    long memoryBytes,
    MigCounters resources,
    int instanceCount,
    List<MigPlacement> placements) {

  public MigProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resources, "resources");
    placements = List.copyOf(placements);
    if (name.isBlank()) {
      throw new IllegalArgumentException("MIG profile name must not be blank");
    }
    if (memoryBytes < 0) {
      throw new IllegalArgumentException("memoryBytes must be >= 0, got " + memoryBytes);
    }
  }
}
