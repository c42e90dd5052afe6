package dev.gpudra.core.config;

import java.util.Objects;

/**
 * A decoded, validated {@code gpu.gpudra.dev/v1} opaque configuration. The kind says which devices
 * it is for: {@link GpuConfig} for full GPUs, {@link MigDeviceConfig} for MIG devices.
 */
public sealed interface DeviceConfig {

  /** How the devices are shared. */
  SharingConfig sharing();

  /** The device type this kind applies to. */
  DeviceType deviceType();

  /** The {@code kind} field. */
  String kind();

  /** The configuration used where neither class nor claim configures a device of {@code type}. */
  static DeviceConfig defaultFor(DeviceType type) {
    return switch (type) {
      case GPU -> new GpuConfig(new SharingConfig.Exclusive());
      case MIG -> new MigDeviceConfig(new SharingConfig.Exclusive());
    };
  }

  /**
   * Configuration of full GPUs.
   *
   * @param sharing sharing strategy; every strategy is allowed
   */
  record GpuConfig(SharingConfig sharing) implements DeviceConfig {
    /** Requires a strategy. */
    public GpuConfig {
      Objects.requireNonNull(sharing, "sharing");
    }

    @Override
    public DeviceType deviceType() {
      return DeviceType.GPU;
    }

    @Override
    public String kind() {
      return "GpuConfig";
    }
  }

  /**
   * Configuration of MIG devices.
   *
   * @param sharing {@code Exclusive} or {@code MPS}: a MIG device has no time-slice policy of its
   *     own
   */
  record MigDeviceConfig(SharingConfig sharing) implements DeviceConfig {
    /** Rejects time-slicing, which MIG devices do not have. */
    public MigDeviceConfig {
      Objects.requireNonNull(sharing, "sharing");
      if (sharing instanceof SharingConfig.TimeSlicing) {
        throw new IllegalArgumentException("MigDeviceConfig does not support TimeSlicing");
      }
    }

    @Override
    public DeviceType deviceType() {
      return DeviceType.MIG;
    }

    @Override
    public String kind() {
      return "MigDeviceConfig";
    }
  }
}
