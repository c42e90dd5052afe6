package dev.gpudra.core.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
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
 * @param dynamicMig the MIG device the plugin creates for this device (dynamic MIG); {@code null}
 *     for a device that exists without the plugin (a GPU, a MIG device an administrator made).
 *     Omitted from the file when {@code null}, so checkpoints without dynamic MIG devices read and
 *     write exactly as before it existed.
 * @param timeSlice the GPU time slice set for this device ({@code TimeSlicing}); {@code null} when
 *     none is. Omitted from the file when {@code null}, like {@code dynamicMig}.
 * @param shareId the allocation's share of a device allocated to several claims at once (consumable
 *     capacity), echoed to the kubelet; {@code null} for a device allocated whole. Omitted when
 *     {@code null}.
 * @param mps the GPU's MPS control daemon this device's containers are clients of; {@code null}
 *     when none. Omitted when {@code null}, so checkpoints written before MPS read as before.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CheckpointedDevice(
    List<String> requestNames,
    String poolName,
    String deviceName,
    List<String> cdiDeviceIds,
    boolean adminAccess,
    String sharingStrategy,
    DynamicMig dynamicMig,
    TimeSlice timeSlice,
    String shareId,
    MpsRecord mps) {

  /** A device that exists without the plugin creating it. */
  public CheckpointedDevice(
      List<String> requestNames,
      String poolName,
      String deviceName,
      List<String> cdiDeviceIds,
      boolean adminAccess,
      String sharingStrategy) {
    this(requestNames, poolName, deviceName, cdiDeviceIds, adminAccess, sharingStrategy, null);
  }

  /** A device with no time slice set. */
  public CheckpointedDevice(
      List<String> requestNames,
      String poolName,
      String deviceName,
      List<String> cdiDeviceIds,
      boolean adminAccess,
      String sharingStrategy,
      DynamicMig dynamicMig) {
    this(
        requestNames,
        poolName,
        deviceName,
        cdiDeviceIds,
        adminAccess,
        sharingStrategy,
        dynamicMig,
        null,
        null,
        null);
  }

  /** A device that uses no MPS daemon. */
  public CheckpointedDevice(
      List<String> requestNames,
      String poolName,
      String deviceName,
      List<String> cdiDeviceIds,
      boolean adminAccess,
      String sharingStrategy,
      DynamicMig dynamicMig,
      TimeSlice timeSlice,
      String shareId) {
    this(
        requestNames,
        poolName,
        deviceName,
        cdiDeviceIds,
        adminAccess,
        sharingStrategy,
        dynamicMig,
        timeSlice,
        shareId,
        null);
  }

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

  /** The same device with {@code mig} as its dynamic MIG record. */
  public CheckpointedDevice withDynamicMig(DynamicMig mig) {
    return new CheckpointedDevice(
        requestNames,
        poolName,
        deviceName,
        cdiDeviceIds,
        adminAccess,
        sharingStrategy,
        mig,
        timeSlice,
        shareId,
        mps);
  }

  /** The same device with {@code slice} as its time-slice record. */
  public CheckpointedDevice withTimeSlice(TimeSlice slice) {
    return new CheckpointedDevice(
        requestNames,
        poolName,
        deviceName,
        cdiDeviceIds,
        adminAccess,
        sharingStrategy,
        dynamicMig,
        slice,
        shareId,
        mps);
  }

  /** The same device as share {@code share} of a multi-allocatable device. */
  public CheckpointedDevice withShareId(String share) {
    return new CheckpointedDevice(
        requestNames,
        poolName,
        deviceName,
        cdiDeviceIds,
        adminAccess,
        sharingStrategy,
        dynamicMig,
        timeSlice,
        share,
        mps);
  }

  /** The same device as a client of the MPS daemon {@code daemon} records. */
  public CheckpointedDevice withMps(MpsRecord daemon) {
    return new CheckpointedDevice(
        requestNames,
        poolName,
        deviceName,
        cdiDeviceIds,
        adminAccess,
        sharingStrategy,
        dynamicMig,
        timeSlice,
        shareId,
        daemon);
  }

  /**
   * Whether this device, held by one claim, rules out {@code other} holding the same device for a
   * different claim: yes, unless either is admin access, both are shares of a multi-allocatable
   * device, or both are shared (non-exclusive). A MIG device the plugin creates exists for one
   * claim only, so it always excludes.
   */
  public boolean excludes(CheckpointedDevice other) {
    if (dynamicMig != null || other.dynamicMig != null) {
      return true;
    }
    if (adminAccess || other.adminAccess) {
      return false;
    }
    // Shares of one device were counted by the scheduler against its consumable capacity.
    if (shareId != null && other.shareId != null) {
      return false;
    }
    return "Exclusive".equals(sharingStrategy) || "Exclusive".equals(other.sharingStrategy);
  }
}
