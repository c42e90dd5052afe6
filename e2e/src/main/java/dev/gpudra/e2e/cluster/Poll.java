package dev.gpudra.e2e.cluster;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Polling for the harness, which runs outside JUnit too ({@code local.LocalCluster}) and so does
 * not use a test library for it: reads a value until it satisfies a condition or the time is up.
 */
public final class Poll {

  private Poll() {}

  /**
   * Reads {@code value} every {@code interval} until {@code done} accepts it and returns that
   * value.
   *
   * @throws IllegalStateException after {@code timeout}, naming {@code what} and the last value
   */
  public static <T> T until(
      String what, Duration timeout, Duration interval, Supplier<T> value, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T current = value.get();
      if (done.test(current)) {
        return current;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            what + " not reached after " + timeout + "; last seen: " + current);
      }
      sleep(interval);
    }
  }

  /** Sleeps, turning an interrupt into an exception (with the flag set again). */
  public static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
