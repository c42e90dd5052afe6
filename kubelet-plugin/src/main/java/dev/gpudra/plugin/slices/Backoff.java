package dev.gpudra.plugin.slices;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff for retrying API writes: {@code initial}, doubled per failure, capped at
 * {@code max}; reset after a success. Not thread-safe (used from one loop thread).
 */
public final class Backoff {

  private final Duration initial;
  private final Duration max;
  private Duration next;

  public Backoff(Duration initial, Duration max) {
    this.initial = Objects.requireNonNull(initial, "initial");
    this.max = Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + ", " + max);
    }
    this.next = initial;
  }

  /** The delay before the next retry; each call doubles the following one up to the cap. */
  public Duration nextDelay() {
    Duration delay = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return delay;
  }

  /** Back to the initial delay. */
  public void reset() {
    next = initial;
  }
}
