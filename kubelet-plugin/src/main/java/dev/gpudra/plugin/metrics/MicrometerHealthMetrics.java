package dev.gpudra.plugin.metrics;

import dev.gpudra.core.health.DeviceHealthState;
import dev.gpudra.core.health.XidClass;
import dev.gpudra.plugin.health.HealthMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link HealthMetrics} on Micrometer, exported as Prometheus series:
 *
 * <ul>
 *   <li>{@code gpudra_device_health{device,state}}: 1 for the device's current state (healthy,
 *       unhealthy, unknown), 0 for the others; every published device has all three series;
 *   <li>{@code gpudra_xid_errors_total{device,xid,class}}: XIDs by code, GPU and class;
 *   <li>{@code gpudra_last_xid_timestamp_seconds{device}}: when the GPU's last XID arrived (time
 *       since the last XID is {@code time() - gpudra_last_xid_timestamp_seconds}).
 * </ul>
 *
 * Thread-safe.
 */
public final class MicrometerHealthMetrics implements HealthMetrics {

  private final MeterRegistry registry;
  private final Clock clock;
  private final Map<String, Map<DeviceHealthState.Status, AtomicInteger>> health =
      new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lastXid = new ConcurrentHashMap<>();

  public MicrometerHealthMetrics(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  @Override
  public void xid(String device, long xid, XidClass xidClass) {
    Counter.builder("gpudra.xid.errors")
        .description("XID errors reported by NVML, by GPU, XID and class")
        .tag("device", device)
        .tag("xid", Long.toString(xid))
        .tag("class", xidClass.label())
        .register(registry)
        .increment();
    lastXid
        .computeIfAbsent(
            device,
            d -> {
              AtomicLong at = new AtomicLong();
              Gauge.builder("gpudra.last.xid.timestamp.seconds", at, AtomicLong::get)
                  .description("Unix time of the GPU's last XID error")
                  .tag("device", d)
                  .register(registry);
              return at;
            })
        .set(clock.instant().getEpochSecond());
  }

  @Override
  public void states(Map<String, DeviceHealthState.Status> states) {
    states.forEach(
        (device, status) -> {
          Map<DeviceHealthState.Status, AtomicInteger> series =
              health.computeIfAbsent(device, this::register);
          series.forEach((s, value) -> value.set(s == status ? 1 : 0));
        });
    // A device no longer published (MIG reconfigured) is neither healthy nor unhealthy.
    health.forEach(
        (device, series) -> {
          if (!states.containsKey(device)) {
            series.values().forEach(v -> v.set(0));
          }
        });
  }

  private Map<DeviceHealthState.Status, AtomicInteger> register(String device) {
    Map<DeviceHealthState.Status, AtomicInteger> series = new ConcurrentHashMap<>();
    for (DeviceHealthState.Status status : DeviceHealthState.Status.values()) {
      AtomicInteger value = new AtomicInteger();
      Gauge.builder("gpudra.device.health", value, AtomicInteger::get)
          .description("Device health: 1 for the device's current state")
          .tag("device", device)
          .tag("state", status.name().toLowerCase(Locale.ROOT))
          .register(registry);
      series.put(status, value);
    }
    return series;
  }
}
