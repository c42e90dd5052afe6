package dev.gpudra.core.device.nvml;

/**
 * One compute instance inside a GPU instance ({@code nvmlComputeInstanceInfo_t} and its profile).
 *
 * @param id compute instance id within its GPU instance
 * @param profileId its compute-instance profile id
 * @param sliceCount compute slices of that profile
 */
public record RawComputeInstance(int id, int profileId, int sliceCount) {}
