package dev.gpudra.e2e.scale;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The totals a scale run checks on the controller's {@code /metrics}: claims by state and by
 * workload, devices by state. Zero counts are left out, so that equal states compare equal.
 *
 * @param claimsByState sum of {@code gpudra_claims} by {@code state}
 * @param claimsByWorkload sum of {@code gpudra_claims} by {@code workload}
 * @param devicesByState sum of {@code gpudra_devices} by {@code state}
 */
public record ScaleCounts(
    Map<String, Long> claimsByState,
    Map<String, Long> claimsByWorkload,
    Map<String, Long> devicesByState) {

  public ScaleCounts {
    claimsByState = Map.copyOf(claimsByState);
    claimsByWorkload = Map.copyOf(claimsByWorkload);
    devicesByState = Map.copyOf(devicesByState);
  }

  /**
   * The totals in a scrape, counting only claims in {@code namespaces} and devices on {@code nodes}
   * (other tests may share the control plane).
   */
  public static ScaleCounts of(MetricsText scrape, Set<String> namespaces, Set<String> nodes) {
    Map<String, Long> states = new TreeMap<>();
    Map<String, Long> workloads = new TreeMap<>();
    Map<String, Long> devices = new TreeMap<>();
    for (MetricsText.Sample sample : scrape.samples("gpudra_claims")) {
      if (namespaces.contains(sample.labels().get("namespace"))) {
        long value = Math.round(sample.value());
        states.merge(sample.labels().get("state"), value, Long::sum);
        workloads.merge(sample.labels().get("workload"), value, Long::sum);
      }
    }
    for (MetricsText.Sample sample : scrape.samples("gpudra_devices")) {
      if (nodes.contains(sample.labels().get("node"))) {
        devices.merge(sample.labels().get("state"), Math.round(sample.value()), Long::sum);
      }
    }
    states.values().removeIf(v -> v == 0);
    workloads.values().removeIf(v -> v == 0);
    devices.values().removeIf(v -> v == 0);
    return new ScaleCounts(states, workloads, devices);
  }

  @Override
  public String toString() {
    return "claims "
        + new TreeMap<>(claimsByState)
        + " by workload "
        + new TreeMap<>(claimsByWorkload)
        + ", devices "
        + new TreeMap<>(devicesByState);
  }
}
