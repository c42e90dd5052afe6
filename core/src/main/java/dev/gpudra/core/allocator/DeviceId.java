package dev.gpudra.core.allocator;

import java.util.Objects;

/**
 * Identifies a device cluster-wide: {@code <driver>/<pool>/<device>}.
 *
 * @param driver the DRA driver name
 * @param pool the pool name within the driver
 * @param device the device name within the pool
 */
public record DeviceId(String driver, String pool, String device) {
  /** Validates. */
  public DeviceId {
    Objects.requireNonNull(driver, "driver");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(device, "device");
  }

  @Override
  public String toString() {
    return driver + "/" + pool + "/" + device;
  }
}
