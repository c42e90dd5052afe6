package dev.gpudra.core.health;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One active health finding about a target, as it is published: a device taint (key from the cause,
 * value, effect, time added) and a line for the kubelet's health stream.
 *
 * @param target the GPU or MIG instance affected
 * @param cause the taint key
 * @param value the taint value: the XID, or a short reason code; a label value (at most 63
 *     characters of {@code [A-Za-z0-9._-]}), may be empty
 * @param effect the taint effect
 * @param since when the condition began (whole seconds: the API stores seconds, and a stable value
 *     keeps the published slice equal to the desired one)
 * @param message for humans: the kubelet shows it in the pod's resource health
 */
public record HealthCondition(
    HealthTarget target,
    HealthCause cause,
    String value,
    TaintEffect effect,
    Instant since,
    String message) {

  private static final Pattern LABEL_VALUE =
      Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

  public HealthCondition {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(effect, "effect");
    Objects.requireNonNull(message, "message");
    since =
        Objects.requireNonNull(since, "since").truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    if (value.length() > 63 || !LABEL_VALUE.matcher(value).matches()) {
      throw new IllegalArgumentException("taint value must be a label value: '" + value + "'");
    }
    if (cause == HealthCause.UNMONITORED && effect != TaintEffect.NONE) {
      throw new IllegalArgumentException("unmonitored is informational: effect must be None");
    }
  }

  /** True when the device must take no new work. */
  public boolean unhealthy() {
    return effect.blocksAllocation();
  }
}
