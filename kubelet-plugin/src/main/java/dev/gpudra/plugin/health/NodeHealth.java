package dev.gpudra.plugin.health;

import dev.gpudra.core.health.DeviceHealthState;
import dev.gpudra.core.health.HealthCondition;
import dev.gpudra.core.slice.DeviceNames;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Turns health conditions into what the node publishes: the slices (with taints) handed to the
 * slice publisher, the per-device reports of the kubelet's health stream, and the health metrics.
 * {@link #republish()} runs once at start and then on every coalesced change the monitor reports;
 * the slice publisher writes only differences, so a change that alters no taint writes nothing.
 *
 * <p>Thread-safe: {@link #republish()} is synchronized; {@link #reports()} reads a snapshot.
 */
public final class NodeHealth {

  private final String nodeName;
  private final Function<List<HealthCondition>, List<ResourceSliceSpec>> slices;
  private final Consumer<List<ResourceSliceSpec>> publish;
  private final HealthMetrics metrics;
  private final boolean monitored;
  private volatile Supplier<List<HealthCondition>> conditions = List::of;
  private volatile List<HealthReport> reports = List.of();

  /**
   * @param slices the node's slices for a set of conditions (the slice mapper)
   * @param publish hands slices to the publisher
   * @param monitored false when health monitoring is off: every device is reported unknown
   */
  public NodeHealth(
      String nodeName,
      Function<List<HealthCondition>, List<ResourceSliceSpec>> slices,
      Consumer<List<ResourceSliceSpec>> publish,
      HealthMetrics metrics,
      boolean monitored) {
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.slices = Objects.requireNonNull(slices, "slices");
    this.publish = Objects.requireNonNull(publish, "publish");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.monitored = monitored;
  }

  /** Where the conditions come from (the monitor), once it exists. */
  public void conditionsFrom(Supplier<List<HealthCondition>> source) {
    this.conditions = Objects.requireNonNull(source, "source");
  }

  /** Maps the current conditions and publishes slices, stream reports and metrics. */
  public synchronized void republish() {
    List<HealthCondition> current = conditions.get();
    List<ResourceSliceSpec> mapped = slices.apply(current);
    publish.accept(mapped);
    Map<String, DeviceHealthState.Status> states = new LinkedHashMap<>();
    List<HealthReport> next =
        mapped.stream()
            .flatMap(s -> s.getDevices().stream())
            .map(Device::getName)
            .filter(name -> DeviceNames.parse(name).isPresent())
            .map(name -> new HealthReport(new DeviceIdentity(nodeName, name), state(name, current)))
            .peek(r -> states.put(r.device().device(), r.state().status()))
            .toList();
    reports = next;
    metrics.states(states);
  }

  private DeviceHealthState state(String device, List<HealthCondition> current) {
    if (!monitored) {
      return new DeviceHealthState(
          DeviceHealthState.Status.UNKNOWN,
          "GPU health monitoring is off (" + HealthConfig.ENABLED + "=false)");
    }
    return DeviceHealthState.of(DeviceHealthState.covering(device, current));
  }

  /** The devices last published, with their health; what the health stream sends. */
  public List<HealthReport> reports() {
    return reports;
  }
}
