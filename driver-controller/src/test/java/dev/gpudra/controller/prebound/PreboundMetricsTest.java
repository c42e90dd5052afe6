package dev.gpudra.controller.prebound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a dashboard and the "Batch GPU pods waiting" alert read of the pre-bound allocator. */
class PreboundMetricsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final PreboundMetrics metrics = new PreboundMetrics(registry);

  private double waiting(WaitReason reason, String age) {
    return registry
        .get("gpudra_prebound_pods_waiting")
        .tag("reason", reason.label())
        .tag("age", age)
        .gauge()
        .value();
  }

  @Test
  void everyReasonAndAgeSeriesExistsAtZeroBeforeAnyPodWaits() {
    assertThat(registry.get("gpudra_prebound_pods_waiting").gauges())
        .hasSize(WaitReason.values().length * PreboundMetrics.AGES.size())
        .allSatisfy(g -> assertThat(g.value()).isZero());
    assertThat(registry.get("gpudra_prebound_oldest_wait_seconds").gauge().value()).isZero();
  }

  @Test
  void waitingPodsAreCountedByReasonAndAgeBucketWithTheOldestWait() {
    metrics.waiting(
        List.of(
            new PreboundMetrics.Wait(WaitReason.DEVICES_IN_USE, Duration.ofSeconds(30)),
            new PreboundMetrics.Wait(WaitReason.DEVICES_IN_USE, Duration.ofMinutes(1)),
            new PreboundMetrics.Wait(WaitReason.BEHIND_OLDER_CLAIM, Duration.ofMinutes(4)),
            new PreboundMetrics.Wait(WaitReason.DEVICES_IN_USE, Duration.ofMinutes(7))));

    assertThat(waiting(WaitReason.DEVICES_IN_USE, "under_1m")).isEqualTo(1);
    assertThat(waiting(WaitReason.DEVICES_IN_USE, "1m_to_5m")).isEqualTo(1);
    assertThat(waiting(WaitReason.DEVICES_IN_USE, "over_5m")).isEqualTo(1);
    assertThat(waiting(WaitReason.BEHIND_OLDER_CLAIM, "1m_to_5m")).isEqualTo(1);
    assertThat(waiting(WaitReason.NODE_MISSING, "under_1m")).isZero();
    assertThat(registry.get("gpudra_prebound_oldest_wait_seconds").gauge().value()).isEqualTo(420);
  }

  @Test
  void aPodThatGotItsGpusNoLongerCountsAndNeitherDoesAReplicaThatStoppedLeading() {
    metrics.waiting(
        List.of(new PreboundMetrics.Wait(WaitReason.DEVICES_IN_USE, Duration.ofMinutes(6))));

    metrics.clear();

    assertThat(waiting(WaitReason.DEVICES_IN_USE, "over_5m")).isZero();
    assertThat(registry.get("gpudra_prebound_oldest_wait_seconds").gauge().value()).isZero();
  }

  @Test
  void allocationsAndReleasesAreCounted() {
    metrics.pass(3, 1);
    metrics.pass(1, 0);

    assertThat(registry.get("gpudra_prebound_allocations_total").counter().count()).isEqualTo(4);
    assertThat(registry.get("gpudra_prebound_released_total").counter().count()).isEqualTo(1);
  }
}
