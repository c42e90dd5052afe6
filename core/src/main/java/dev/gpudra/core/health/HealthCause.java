package dev.gpudra.core.health;

/** Why a device has a health condition; each cause is one taint key. */
public enum HealthCause {
  /** An XID error; the taint value is the XID. */
  XID("gpu.gpudra.dev/xid"),
  /** The GPU fell off the bus or needs a reset before it answers. */
  GPU_LOST("gpu.gpudra.dev/gpu-lost"),
  /** Health cannot be watched (no NVML events); always effect None. */
  UNMONITORED("gpu.gpudra.dev/unmonitored");

  private final String taintKey;

  HealthCause(String taintKey) {
    this.taintKey = taintKey;
  }

  /** The taint key, as the architecture's name list defines it. */
  public String taintKey() {
    return taintKey;
  }
}
