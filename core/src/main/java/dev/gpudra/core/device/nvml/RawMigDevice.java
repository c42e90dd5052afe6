package dev.gpudra.core.device.nvml;

/**
 * One MIG device handle's answers, joined with its GPU instance's {@code nvmlGpuInstanceInfo_t}.
 *
 * @param uuid MIG device UUID
 * @param gpuInstanceId GPU instance id
 * @param computeInstanceId compute instance id
 * @param gpuInstanceProfileId the GPU instance's profile id
 * @param placement the GPU instance's placement
 * @param memoryTotalBytes memory the MIG device reports
 */
public record RawMigDevice(
    String uuid,
    int gpuInstanceId,
    int computeInstanceId,
    int gpuInstanceProfileId,
    RawPlacement placement,
    long memoryTotalBytes) {}
