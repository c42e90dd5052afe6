package dev.gpudra.core.health;

import dev.gpudra.core.slice.DeviceNames;
import java.util.OptionalInt;

/**
 * What a health condition is about: a whole GPU (which covers the GPU and every MIG device on it,
 * existing or possible) or one MIG GPU instance (and, when NVML pins the error to one, one compute
 * instance of it). Identified by the same numbers device names carry, so a condition maps onto
 * published devices without further state.
 */
public sealed interface HealthTarget permits HealthTarget.WholeGpu, HealthTarget.MigInstance {

  /** Minor number of the (parent) GPU. */
  int minor();

  /** True when a published device with this parsed name is affected. */
  boolean covers(DeviceNames.Parsed device);

  /** A GPU and everything on it. */
  record WholeGpu(int minor) implements HealthTarget {
    @Override
    public boolean covers(DeviceNames.Parsed device) {
      return device.minor() == minor;
    }
  }

  /**
   * One GPU instance, by its profile id and placement start (a dynamic-MIG placement device or a
   * static MIG device), optionally narrowed to a compute instance.
   */
  record MigInstance(int minor, int profileId, int placementStart, OptionalInt computeInstanceId)
      implements HealthTarget {
    @Override
    public boolean covers(DeviceNames.Parsed device) {
      if (!(device instanceof DeviceNames.Parsed.Mig mig)) {
        return false;
      }
      boolean sameInstance =
          mig.minor() == minor
              && mig.profileId() == profileId
              && mig.placementStart() == placementStart;
      // A device for the whole GPU instance is affected by any of its compute instances' faults.
      return sameInstance
          && (computeInstanceId.isEmpty()
              || mig.computeInstanceId().isEmpty()
              || mig.computeInstanceId().equals(computeInstanceId));
    }
  }
}
