package dev.gpudra.core.health;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaintBuilder;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The taints a device is published with, from the conditions covering it (pure). One taint per key:
 * when several conditions share a key (two XIDs), the strongest effect wins, then the earliest; the
 * result is ordered by key so that equal conditions always give an equal slice (the publisher
 * writes only differences).
 */
public final class DeviceTaints {

  /** {@code DeviceTaintsMaxLength}: taints per device. */
  public static final int MAX_PER_DEVICE = 16;

  private DeviceTaints() {}

  /** The taints of one device. */
  public static List<DeviceTaint> of(List<HealthCondition> covering) {
    Map<HealthCause, HealthCondition> strongest = new LinkedHashMap<>();
    Comparator<HealthCondition> order =
        Comparator.comparing(HealthCondition::effect)
            .reversed()
            .thenComparing(HealthCondition::since)
            .thenComparing(HealthCondition::value);
    covering.stream().sorted(order).forEach(c -> strongest.putIfAbsent(c.cause(), c));
    return strongest.values().stream()
        .sorted(Comparator.comparing(c -> c.cause().taintKey()))
        .limit(MAX_PER_DEVICE)
        .map(DeviceTaints::taint)
        .toList();
  }

  private static DeviceTaint taint(HealthCondition condition) {
    return new DeviceTaintBuilder()
        .withKey(condition.cause().taintKey())
        .withValue(condition.value().isEmpty() ? null : condition.value())
        .withEffect(condition.effect().apiValue())
        // RFC 3339 in whole seconds, as the API server returns metav1.Time.
        .withTimeAdded(DateTimeFormatter.ISO_INSTANT.format(condition.since()))
        .build();
  }
}
