package dev.gpudra.controller.prebound;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Metrics of the pre-bound allocator, so that a Batch job stuck in RUNNABLE shows on a dashboard
 * and in an alert rather than only in its pod's Events:
 *
 * <ul>
 *   <li>{@code gpudra_prebound_pods_waiting{reason,age}}: pre-bound pods whose GPU claim is not
 *       allocated, by {@link WaitReason} and age bucket ({@code under_1m}, {@code 1m_to_5m}, {@code
 *       over_5m}, counted from the claim's creation); every series exists from the start at 0;
 *   <li>{@code gpudra_prebound_oldest_wait_seconds}: the longest such wait;
 *   <li>{@code gpudra_prebound_allocations_total}, {@code gpudra_prebound_released_total}:
 *       allocations written, and allocations taken back after a race lost to kube-scheduler.
 * </ul>
 *
 * <p>Only the leader allocates: other replicas report 0 waiting. Thread-safe.
 */
public final class PreboundMetrics {

  /** Age buckets, upper bounds exclusive; the last is open. */
  static final List<String> AGES = List.of("under_1m", "1m_to_5m", "over_5m");

  private final MultiGauge waiting;
  private final AtomicReference<Double> oldest = new AtomicReference<>(0.0);
  private final Counter allocations;
  private final Counter released;

  public PreboundMetrics(MeterRegistry registry) {
    this.waiting =
        MultiGauge.builder("gpudra_prebound_pods_waiting")
            .description("Pre-bound pods whose GPU claim is not allocated, by reason and age")
            .register(registry);
    Gauge.builder("gpudra_prebound_oldest_wait_seconds", oldest, AtomicReference::get)
        .description("Longest wait of a pre-bound pod for its GPU claim's allocation")
        .register(registry);
    this.allocations =
        Counter.builder("gpudra_prebound_allocations_total")
            .description("Claims of pre-bound pods allocated by the controller")
            .register(registry);
    this.released =
        Counter.builder("gpudra_prebound_released_total")
            .description(
                "Allocations of pre-bound claims taken back after a race lost to the scheduler")
            .register(registry);
    clear();
  }

  /** Sets the waiting gauges to {@code waits}: one entry per waiting pod. */
  public void waiting(List<Wait> waits) {
    Map<WaitReason, long[]> counts = new EnumMap<>(WaitReason.class);
    double longest = 0;
    for (Wait w : waits) {
      counts.computeIfAbsent(w.reason(), r -> new long[AGES.size()])[bucket(w.age())]++;
      longest = Math.max(longest, w.age().toMillis() / 1000.0);
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (WaitReason reason : WaitReason.values()) {
      long[] byAge = counts.getOrDefault(reason, new long[AGES.size()]);
      for (int i = 0; i < AGES.size(); i++) {
        rows.add(
            MultiGauge.Row.of(Tags.of("reason", reason.label(), "age", AGES.get(i)), byAge[i]));
      }
    }
    waiting.register(rows, true);
    oldest.set(longest);
  }

  /** No pod waits (as this replica knows): it stopped leading, or nothing waits. */
  public void clear() {
    waiting(List.of());
  }

  /** Counts what a pass wrote. */
  public void pass(int allocated, int releasedClaims) {
    allocations.increment(allocated);
    released.increment(releasedClaims);
  }

  private static int bucket(Duration age) {
    if (age.compareTo(Duration.ofMinutes(1)) < 0) {
      return 0;
    }
    return age.compareTo(Duration.ofMinutes(5)) < 0 ? 1 : 2;
  }

  /**
   * One waiting pod.
   *
   * @param reason why it waits
   * @param age how long it has waited
   */
  public record Wait(WaitReason reason, Duration age) {}
}
