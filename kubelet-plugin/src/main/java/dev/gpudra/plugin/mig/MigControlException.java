package dev.gpudra.plugin.mig;

import java.util.Objects;

/**
 * A {@link MigControl} call failed. Carries what the driver said as data (the function that failed,
 * its return code and its own error string) so that callers log and decide without knowing which
 * library sits behind {@link MigControl}. The message reads as the driver's error did.
 */
public class MigControlException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String function;
  private final int code;
  private final String driverMessage;

  /**
   * @param function the driver function that failed, e.g. {@code nvmlGpuInstanceDestroy}
   * @param code the driver's return code
   * @param driverMessage the driver's error string for {@code code}
   * @param cause the adapter's exception, or null
   */
  public MigControlException(String function, int code, String driverMessage, Throwable cause) {
    super(function + " failed: " + driverMessage + " (NVML error " + code + ")", cause);
    this.function = Objects.requireNonNull(function, "function");
    this.code = code;
    this.driverMessage = Objects.requireNonNull(driverMessage, "driverMessage");
  }

  /** A failure with no underlying exception (fakes in tests). */
  public MigControlException(String function, int code, String driverMessage) {
    this(function, code, driverMessage, null);
  }

  /** The driver function that failed. */
  public String function() {
    return function;
  }

  /** The driver's return code. */
  public int code() {
    return code;
  }

  /** The driver's error string. */
  public String driverMessage() {
    return driverMessage;
  }
}
