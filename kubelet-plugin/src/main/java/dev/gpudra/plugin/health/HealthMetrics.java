package dev.gpudra.plugin.health;

import dev.gpudra.core.health.DeviceHealthState;
import dev.gpudra.core.health.XidClass;
import java.util.Map;

/**
 * What the health monitor measures; an interface with a {@link #NOOP} so code under test runs
 * without a registry. Implementations are thread-safe.
 */
public interface HealthMetrics {

  /** Measures nothing. */
  HealthMetrics NOOP =
      new HealthMetrics() {
        @Override
        public void xid(String device, long xid, XidClass xidClass) {}

        @Override
        public void states(Map<String, DeviceHealthState.Status> states) {}
      };

  /** An XID arrived on {@code device} (the GPU's or MIG device's published name). */
  void xid(String device, long xid, XidClass xidClass);

  /** The health state of every published device now. */
  void states(Map<String, DeviceHealthState.Status> states);
}
