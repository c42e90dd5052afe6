package dev.gpudra.testkit.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A UTC clock a test sets and moves, starting at the real time: the mock API server stamps creation
 * times with the real time, and tests then step past thresholds (pending for a minute, repeat after
 * ten) without waiting. Thread-safe.
 */
public final class MovableClock extends Clock {

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

  @Override
  public ZoneOffset getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  /** Sets the time. */
  public void set(Instant instant) {
    now.set(instant);
  }

  /** Moves the time forward by {@code duration}. */
  public void advance(Duration duration) {
    now.updateAndGet(t -> t.plus(duration));
  }
}
