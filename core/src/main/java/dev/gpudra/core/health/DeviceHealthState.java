package dev.gpudra.core.health;

import dev.gpudra.core.slice.DeviceNames;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The health of one published device, derived from the conditions covering it: unhealthy when any
 * blocks allocation, unknown when health is not watched, healthy otherwise (informational
 * conditions only add to the message).
 *
 * @param status the state the kubelet and the metrics report
 * @param message the conditions for humans, empty when there are none
 */
public record DeviceHealthState(Status status, String message) {

  /** The three states of the DRA health protocol. */
  public enum Status {
    HEALTHY,
    UNHEALTHY,
    UNKNOWN
  }

  public DeviceHealthState {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(message, "message");
  }

  /** The conditions of {@code conditions} that cover the device named {@code deviceName}. */
  public static List<HealthCondition> covering(
      String deviceName, List<HealthCondition> conditions) {
    return DeviceNames.parse(deviceName)
        .map(parsed -> conditions.stream().filter(c -> c.target().covers(parsed)).toList())
        .orElse(List.of());
  }

  /** The state of a device with exactly these conditions. */
  public static DeviceHealthState of(List<HealthCondition> covering) {
    Status status = Status.HEALTHY;
    if (covering.stream().anyMatch(HealthCondition::unhealthy)) {
      status = Status.UNHEALTHY;
    } else if (covering.stream().anyMatch(c -> c.cause() == HealthCause.UNMONITORED)) {
      status = Status.UNKNOWN;
    }
    String message =
        covering.stream()
            .sorted(Comparator.comparing(HealthCondition::since))
            .map(HealthCondition::message)
            .distinct()
            .collect(Collectors.joining("; "));
    return new DeviceHealthState(status, message);
  }
}
