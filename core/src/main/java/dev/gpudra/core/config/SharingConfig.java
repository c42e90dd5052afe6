package dev.gpudra.core.config;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How the devices a configuration applies to are shared, as the user asked for it (validated, not
 * yet checked against what the node runs; see {@link NodeSharingPolicy}).
 */
public sealed interface SharingConfig {

  /** Strategy name as spelled in {@code sharing.strategy}. */
  String strategy();

  /** Exclusive use by one claim, the default; nothing to set up on the GPU. */
  record Exclusive() implements SharingConfig {
    @Override
    public String strategy() {
      return "Exclusive";
    }
  }

  /**
   * Time-slicing between the claim's containers.
   *
   * @param interval the time-slice length
   */
  record TimeSlicing(TimeSliceInterval interval) implements SharingConfig {
    /** Requires an interval. */
    public TimeSlicing {
      Objects.requireNonNull(interval, "interval");
    }

    @Override
    public String strategy() {
      return "TimeSlicing";
    }
  }

  /**
   * CUDA MPS through a per-claim control daemon.
   *
   * @param defaultActiveThreadPercentage 0..100, or null for the daemon's default
   * @param defaultPinnedDeviceMemoryLimitBytes at least 1 MiB, or null for no limit
   * @param perDevicePinnedMemoryLimits limit in bytes per device, keyed by the device's index in
   *     the claim or by its UUID; sorted so equal configurations compare equal
   */
  record Mps(
      Integer defaultActiveThreadPercentage,
      Long defaultPinnedDeviceMemoryLimitBytes,
      Map<String, Long> perDevicePinnedMemoryLimits)
      implements SharingConfig {

    /** Smallest pinned-memory limit the MPS daemon accepts. */
    public static final long MIN_PINNED_MEMORY_BYTES = 1024L * 1024L;

    /** Validates the ranges. */
    public Mps {
      if (defaultActiveThreadPercentage != null
          && (defaultActiveThreadPercentage < 0 || defaultActiveThreadPercentage > 100)) {
        throw new IllegalArgumentException(
            "defaultActiveThreadPercentage must be 0..100, got " + defaultActiveThreadPercentage);
      }
      if (defaultPinnedDeviceMemoryLimitBytes != null
          && defaultPinnedDeviceMemoryLimitBytes < MIN_PINNED_MEMORY_BYTES) {
        throw new IllegalArgumentException(
            "defaultPinnedDeviceMemoryLimit must be at least 1Mi, got "
                + defaultPinnedDeviceMemoryLimitBytes);
      }
      perDevicePinnedMemoryLimits =
          perDevicePinnedMemoryLimits == null
              ? Map.of()
              : Map.copyOf(new TreeMap<>(perDevicePinnedMemoryLimits));
      perDevicePinnedMemoryLimits.forEach(
          (key, limit) -> {
            if (limit < MIN_PINNED_MEMORY_BYTES) {
              throw new IllegalArgumentException(
                  "perDevicePinnedMemoryLimits[" + key + "] must be at least 1Mi, got " + limit);
            }
          });
    }

    @Override
    public String strategy() {
      return "MPS";
    }
  }
}
