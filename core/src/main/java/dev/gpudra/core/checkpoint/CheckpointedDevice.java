package dev.gpudra.core.checkpoint;

import java.util.List;
import java.util.Objects;

/**
 * One device prepared (or being prepared) for a claim: enough to answer a repeated prepare call, to
 * undo the device's effects and to detect a second claim on the same hardware, without asking the
 * API server.
 *
 * @param requestNames the claim's requests this device was allocated for
 * @param poolName pool of the device (our node's pool)
 * @param deviceName device name within the pool
 * @param cdiDeviceIds fully qualified CDI ids handed to the kubelet
 * @param adminAccess whether the allocation was for admin access (no exclusivity)
 * @param sharingStrategy the sharing strategy it was prepared with
 */
public record CheckpointedDevice(
    List<String> requestNames,
    String poolName,
    String deviceName,
    List<String> cdiDeviceIds,
    boolean adminAccess,
    String sharingStrategy) {

  /** Copies lists and requires every name. */
  public CheckpointedDevice {
    requestNames = List.copyOf(Objects.requireNonNull(requestNames, "requestNames"));
    Objects.requireNonNull(poolName, "poolName");
    Objects.requireNonNull(deviceName, "deviceName");
    cdiDeviceIds = List.copyOf(Objects.requireNonNull(cdiDeviceIds, "cdiDeviceIds"));
    Objects.requireNonNull(sharingStrategy, "sharingStrategy");
    if (poolName.isEmpty() || deviceName.isEmpty()) {
      throw new IllegalArgumentException("pool and device names must not be empty");
    }
  }

  /**
   * Whether this device, held by one claim, rules out {@code other} holding the same device for a
   * different claim: yes, unless either is admin access or both are shared (non-exclusive).
   */
  public boolean excludes(CheckpointedDevice other) {
    if (adminAccess || other.adminAccess) {
      return false;
    }
    return "Exclusive".equals(sharingStrategy) || "Exclusive".equals(other.sharingStrategy);
  }
}
