package dev.gpudra.core.health;

/**
 * Effect of a device taint ({@code resource.k8s.io/v1 DeviceTaint.effect}): what the scheduler and
 * the controller manager's device-taint eviction do with a tainted device.
 */
public enum TaintEffect {
  /** Information only: nothing changes for allocation (Kubernetes 1.35+). */
  NONE("None"),
  /** New claims cannot be allocated the device; running pods stay. */
  NO_SCHEDULE("NoSchedule"),
  /** As NoSchedule, and pods using the device are evicted unless they tolerate it. */
  NO_EXECUTE("NoExecute");

  private final String apiValue;

  TaintEffect(String apiValue) {
    this.apiValue = apiValue;
  }

  /** The value the API uses. */
  public String apiValue() {
    return apiValue;
  }

  /** True when the device is out of service for new claims. */
  public boolean blocksAllocation() {
    return this != NONE;
  }

  /** Parses the API value (case-sensitive, as the API is). */
  public static TaintEffect fromApiValue(String value) {
    for (TaintEffect effect : values()) {
      if (effect.apiValue.equals(value)) {
        return effect;
      }
    }
    throw new IllegalArgumentException(
        "taint effect must be None, NoSchedule or NoExecute, got: " + value);
  }
}
