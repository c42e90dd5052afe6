package dev.gpudra.e2e.scale;

import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;

/**
 * Waits for the controller's {@code /metrics} to show a plan's counts, scraping every {@value
 * #POLL_MILLIS} ms. Restricted to the plan's namespaces and nodes.
 */
public final class Convergence {

  private static final long POLL_MILLIS = 200;

  private final DriverControllerProcess controller;
  private final Set<String> namespaces;
  private final Set<String> nodes;
  private volatile ScaleCounts last;

  public Convergence(DriverControllerProcess controller, ScalePlan plan) {
    this.controller = controller;
    this.namespaces = Set.copyOf(plan.namespaces());
    this.nodes = Set.copyOf(plan.nodes());
  }

  /** The counts of one scrape. */
  public ScaleCounts scrape() throws IOException {
    return ScaleCounts.of(MetricsText.scrape(controller.metricsUri()), namespaces, nodes);
  }

  /**
   * Scrapes until the counts equal {@code expected}; returns when they did, measured from {@code
   * sinceNanos} ({@link System#nanoTime}).
   *
   * @throws IllegalStateException after {@code timeout}, naming the last counts seen
   */
  public Duration await(ScaleCounts expected, long sinceNanos, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        last = scrape();
        if (last.equals(expected)) {
          return Duration.ofNanos(System.nanoTime() - sinceNanos);
        }
      } catch (IOException e) {
        // A scrape during a long GC pause may time out; the next one decides.
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the controller's metrics did not reach\n  "
                + expected
                + "\nwithin "
                + timeout
                + "; last scrape:\n  "
                + last
                + "\ncontroller log:\n"
                + controller.logTail());
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }
}
