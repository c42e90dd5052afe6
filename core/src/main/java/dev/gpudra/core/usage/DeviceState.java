package dev.gpudra.core.usage;

/** What a published device is doing now; the {@code state} label of device metrics. */
public enum DeviceState {
  /** Allocatable now. */
  FREE("free"),
  /** Allocated to a claim. */
  ALLOCATED("allocated"),
  /** Carries a taint that keeps new claims off it (unhealthy, under maintenance). */
  TAINTED("tainted"),
  /**
   * Not allocated, but its shared counters are taken by other allocations: a MIG placement that
   * overlaps an allocated one, or a full GPU that has MIG devices allocated.
   */
  UNAVAILABLE("unavailable");

  private final String label;

  DeviceState(String label) {
    this.label = label;
  }

  /** The metric label value. */
  public String label() {
    return label;
  }
}
