package dev.gpudra.plugin.prepare;

import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.core.config.SharingConfig;
import dev.gpudra.core.device.Gpu;
import java.util.Map;

/**
 * Turns a claim's {@code mpsConfig} for one full GPU into what its GPU's MPS daemon enforces: the
 * daemon's default active thread percentage and pinned device memory limit, set before its first
 * client connects, so they hold for every client whatever its environment says. What only the node
 * can check (a limit within the GPU's memory, a per-device key naming the claim's device) is
 * checked here, naming the field.
 */
final class MpsLimits {

  private static final long MIB = 1024L * 1024L;

  private MpsLimits() {}

  /**
   * The daemon record of {@code config} on {@code gpu}, the claim's only MPS device.
   *
   * @throws PrepareRefusedException naming the field that the node cannot honour
   */
  static MpsRecord of(ClaimRef ref, String deviceName, SharingConfig.Mps config, Gpu gpu)
      throws PrepareRefusedException {
    Integer percentage = config.defaultActiveThreadPercentage();
    if (percentage != null && percentage == 0) {
      throw refused(
          ref,
          "sharing.mpsConfig.defaultActiveThreadPercentage of device "
              + deviceName
              + " is 0, which leaves its processes no multiprocessors; use 1..100");
    }
    Long bytes = config.defaultPinnedDeviceMemoryLimitBytes();
    String field = "sharing.mpsConfig.defaultPinnedDeviceMemoryLimit";
    for (Map.Entry<String, Long> e : config.perDevicePinnedMemoryLimits().entrySet()) {
      // The claim's only MPS device is its device 0 (several are refused by the planner).
      if (!e.getKey().equals("0") && !e.getKey().equalsIgnoreCase(gpu.uuid())) {
        throw refused(
            ref,
            "sharing.mpsConfig.perDevicePinnedMemoryLimits has key "
                + e.getKey()
                + ", which names no device of the claim (device 0 is "
                + deviceName
                + ", UUID "
                + gpu.uuid()
                + ")");
      }
      bytes = e.getValue();
      field = "sharing.mpsConfig.perDevicePinnedMemoryLimits[" + e.getKey() + "]";
    }
    if (bytes != null && bytes > gpu.memoryBytes()) {
      throw refused(
          ref,
          field
              + " of device "
              + deviceName
              + " is "
              + bytes
              + " bytes, more than the GPU's memory ("
              + gpu.memoryBytes()
              + " bytes)");
    }
    return new MpsRecord(gpu.uuid(), percentage, bytes == null ? null : bytes / MIB);
  }

  /**
   * Refuses {@code config}'s limits on a share of a GPU: a share's limits are its consumed capacity
   * (what the scheduler counted), and the daemon it shares with other claims cannot take defaults
   * from one of them. {@code strategy: MPS} without limits is what a share is anyway, and passes.
   *
   * @throws PrepareRefusedException naming the first limit set
   */
  static void refuseOnShare(ClaimRef ref, String deviceName, SharingConfig.Mps config)
      throws PrepareRefusedException {
    String field =
        config.defaultActiveThreadPercentage() != null
            ? "defaultActiveThreadPercentage"
            : config.defaultPinnedDeviceMemoryLimitBytes() != null
                ? "defaultPinnedDeviceMemoryLimit"
                : config.perDevicePinnedMemoryLimits().isEmpty()
                    ? null
                    : "perDevicePinnedMemoryLimits";
    if (field != null) {
      throw refused(
          ref,
          "sharing.mpsConfig."
              + field
              + " cannot apply to device "
              + deviceName
              + ", which is allocated as a share of its GPU: a share's MPS limits are its"
              + " consumed capacity; ask for them with capacity.requests memory and cores, and"
              + " leave mpsConfig out");
    }
  }

  private static PrepareRefusedException refused(ClaimRef ref, String reason) {
    return new PrepareRefusedException("claim " + ref + ": " + reason);
  }
}
