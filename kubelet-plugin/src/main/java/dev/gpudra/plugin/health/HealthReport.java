package dev.gpudra.plugin.health;

import dev.gpudra.core.health.DeviceHealthState;
import java.util.Objects;

/**
 * One device's line in a health stream message, independent of the protocol version.
 *
 * @param device the device as the kubelet names it
 * @param state its health and the reason
 */
public record HealthReport(DeviceIdentity device, DeviceHealthState state) {

  /** The kubelet keeps at most this many characters of a message. */
  public static final int MAX_MESSAGE = 1024;

  public HealthReport {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(state, "state");
  }

  /** A device with nothing wrong. */
  public static HealthReport healthy(DeviceIdentity device) {
    return new HealthReport(device, new DeviceHealthState(DeviceHealthState.Status.HEALTHY, ""));
  }

  /** The message cut to what the kubelet keeps, marked as cut. */
  public String boundedMessage() {
    String message = state.message();
    return message.length() <= MAX_MESSAGE
        ? message
        : message.substring(0, MAX_MESSAGE - 3) + "...";
  }
}
