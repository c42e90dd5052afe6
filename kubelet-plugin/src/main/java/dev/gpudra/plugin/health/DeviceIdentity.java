package dev.gpudra.plugin.health;

import java.util.Comparator;
import java.util.Objects;

/**
 * A device as the kubelet identifies it in health reports: the ResourceSlice pool and the device
 * name within it.
 *
 * @param pool the pool name, for gpudra the node name
 * @param device the device name within the pool, e.g. {@code gpu-0}
 */
public record DeviceIdentity(String pool, String device) implements Comparable<DeviceIdentity> {

  private static final Comparator<DeviceIdentity> ORDER =
      Comparator.comparing(DeviceIdentity::pool).thenComparing(DeviceIdentity::device);

  public DeviceIdentity {
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(device, "device");
    if (pool.isBlank() || device.isBlank()) {
      throw new IllegalArgumentException(
          "pool and device must not be blank: '" + pool + "'/'" + device + "'");
    }
  }

  @Override
  public int compareTo(DeviceIdentity other) {
    return ORDER.compare(this, other);
  }
}
