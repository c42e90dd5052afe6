package dev.gpudra.core.device.nvml;

import java.util.List;

/**
 * {@code nvmlGpuInstanceProfileInfo_v2_t}/{@code _v3_t} for one profile, plus the placements {@code
 * nvmlDeviceGetGpuInstancePossiblePlacements_v2} returned for it.
 *
 * @param profileIndex the {@code NVML_GPU_INSTANCE_PROFILE_*} value it was queried with
 * @param id the profile id the driver assigned
 * @param sliceCount compute slices
 * @param instanceCount instances that fit on an empty GPU
 * @param multiprocessorCount SMs
 * @param copyEngineCount copy engines
 * @param decoderCount decoders
 * @param encoderCount encoders
 * @param jpegCount JPEG engines
 * @param ofaCount OFA engines
 * @param memorySizeMiB memory in MiB (NVML calls it MB)
 * @param name NVML's profile name, e.g. {@code MIG 1g.10gb}; empty when the driver gave none
 * @param placements possible placements
 */
public record RawGpuInstanceProfile(
    int profileIndex,
    int id,
    int sliceCount,
    int instanceCount,
    int multiprocessorCount,
    int copyEngineCount,
    int decoderCount,
    int encoderCount,
    int jpegCount,
    int ofaCount,
    long memorySizeMiB,
    String name,
    List<RawPlacement> placements) {

  public RawGpuInstanceProfile {
    placements = List.copyOf(placements);
  }
}
