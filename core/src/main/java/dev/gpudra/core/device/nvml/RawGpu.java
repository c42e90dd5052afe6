package dev.gpudra.core.device.nvml;

import java.util.List;

/**
 * What NVML answered about one GPU.
 *
 * @param index NVML index
 * @param minor {@code nvmlDeviceGetMinorNumber}
 * @param uuid {@code nvmlDeviceGetUUID}
 * @param name {@code nvmlDeviceGetName}
 * @param brand {@code nvmlBrandType_t} value
 * @param architecture {@code nvmlDeviceArchitecture_t} value
 * @param computeCapabilityMajor CUDA compute capability, major
 * @param computeCapabilityMinor CUDA compute capability, minor
 * @param memoryTotalBytes {@code nvmlMemory_t.total}
 * @param busId {@code nvmlPciInfo_t.busId}, e.g. {@code 00000000:07:00.0}
 * @param migCapable false when {@code nvmlDeviceGetMigMode} answered NOT_SUPPORTED
 * @param migCurrent current MIG mode (1 = enabled)
 * @param migPending pending MIG mode (1 = enabled)
 * @param profiles GPU-instance profiles that exist on this GPU
 * @param migDevices MIG devices that exist now
 */
public record RawGpu(
    int index,
    int minor,
    String uuid,
    String name,
    int brand,
    int architecture,
    int computeCapabilityMajor,
    int computeCapabilityMinor,
    long memoryTotalBytes,
    String busId,
    boolean migCapable,
    int migCurrent,
    int migPending,
    List<RawGpuInstanceProfile> profiles,
    List<RawMigDevice> migDevices) {

  public RawGpu {
    profiles = List.copyOf(profiles);
    migDevices = List.copyOf(migDevices);
  }
}
