package dev.gpudra.nvml;

import java.util.OptionalInt;

/**
 * One NVML event ({@code nvmlEventData_t}), with the device handle resolved to the GPU's NVML
 * index.
 *
 * @param gpuIndex the NVML index of the (parent) GPU the event is about
 * @param type one of {@link NvmlEventTypes}
 * @param xid the XID for {@link NvmlEventTypes#XID_CRITICAL_ERROR} ({@value #UNKNOWN_XID}: an XID
 *     the driver does not know), 0 otherwise
 * @param gpuInstanceId the GPU instance the error is pinned to, when MIG is on and NVML knows it
 * @param computeInstanceId the compute instance the error is pinned to, when NVML knows it
 */
public record NvmlEvent(
    int gpuIndex, long type, long xid, OptionalInt gpuInstanceId, OptionalInt computeInstanceId) {

  /** {@code eventData} for an XID the driver cannot name. */
  public static final long UNKNOWN_XID = 999;

  /** {@code 0xFFFFFFFF}: the event is not attributable to an instance. */
  static final int NO_INSTANCE = 0xFFFFFFFF;

  /** True for an XID critical error. */
  public boolean isXid() {
    return type == NvmlEventTypes.XID_CRITICAL_ERROR;
  }

  static OptionalInt instance(int id) {
    return id == NO_INSTANCE ? OptionalInt.empty() : OptionalInt.of(id);
  }
}
