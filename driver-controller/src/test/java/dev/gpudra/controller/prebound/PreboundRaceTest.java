package dev.gpudra.controller.prebound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.testkit.cluster.MovableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pre-bound allocator racing kube-scheduler for the GPUs of one node, replayed step by step:
 * the scheduler writes allocations it decided before its informer showed ours, and our informer
 * shows writes only when the test lets it. Whatever the order, once both sides settle no device is
 * in two claims, and the kubelet never prepares a device our claim lost.
 */
class PreboundRaceTest {

  private static final Duration CONFIRM = PreboundAllocator.CONFIRM_AFTER;

  private final MovableClock clock = new MovableClock();
  private final RacingCluster cluster = new RacingCluster("node-a", 2);
  private final PreboundAllocator allocator =
      new PreboundAllocator(
          cluster,
          cluster,
          new SelectorCache(SelectorEnvironment.create(), 64),
          AllocationBudget.DEFAULT,
          clock,
          CONFIRM);

  /**
   * Passes, with the informer caught up and the confirmation delay over, until nothing changes and
   * no write waits for confirmation (the controller passes again when one is due).
   */
  private void settle() {
    for (int i = 0; i < 10; i++) {
      cluster.sync();
      clock.advance(CONFIRM);
      PreboundAllocator.Pass pass = allocator.runOnce();
      if (pass.allocated() == 0
          && pass.released() == 0
          && pass.nudged() == 0
          && pass.confirmIn().isEmpty()) {
        return;
      }
    }
  }

  @Test
  void aDeviceTheSchedulerWroteAfterUsIsGivenUpBeforeTheKubeletPreparesIt() {
    cluster.preboundPod("job", 1);

    // We allocate gpu-0; kube-scheduler had already picked gpu-0 for a pod of its own (its
    // informer did not show our write yet) and writes it right after ours.
    assertThat(allocator.runOnce().allocated()).isEqualTo(1);
    assertThat(cluster.devicesOf("job-gpu")).containsExactly("gpu-0");
    cluster.schedulerAllocates("scheduled-gpu", "gpu-0");
    cluster.sync();

    PreboundAllocator.Pass race = allocator.runOnce();

    assertThat(race.released()).as("our claim backs off").isEqualTo(1);
    settle();
    assertThat(cluster.doubleAllocations()).isEmpty();
    assertThat(cluster.devicesOf("job-gpu")).containsExactly("gpu-1");
    assertThat(cluster.devicesOf("scheduled-gpu")).containsExactly("gpu-0");
    assertThat(cluster.prepared())
        .as("the kubelet prepared the pre-bound pod once, with the GPU it keeps")
        .containsExactly(new RacingCluster.Prepared("job", List.of("gpu-1")));
  }

  @Test
  void aSchedulerAllocationSeenBeforeOurOwnWriteIsAClashAtOnce() {
    cluster.preboundPod("job", 1);
    assertThat(allocator.runOnce().allocated()).isEqualTo(1);
    // The scheduler's write reached the API server first; our informer shows it, not ours yet.
    cluster.schedulerAllocates("scheduled-gpu", "gpu-0");
    cluster.syncOnly("scheduled-gpu");

    PreboundAllocator.Pass race = allocator.runOnce();

    assertThat(race.released()).isEqualTo(1);
    assertThat(cluster.devicesOf("job-gpu")).isEmpty();
    settle();
    assertThat(cluster.doubleAllocations()).isEmpty();
    assertThat(cluster.devicesOf("job-gpu")).containsExactly("gpu-1");
    assertThat(cluster.prepared())
        .extracting(RacingCluster.Prepared::devices)
        .containsExactly(List.of("gpu-1"));
  }

  @Test
  void whenTheSchedulerTookEveryGpuOurPodWaitsAndIsNeverStartedOnATakenOne() {
    cluster.preboundPod("job", 1);
    allocator.runOnce();
    cluster.schedulerAllocates("scheduled-a", "gpu-0");
    cluster.schedulerAllocates("scheduled-b", "gpu-1");

    settle();

    assertThat(cluster.doubleAllocations()).isEmpty();
    assertThat(cluster.devicesOf("job-gpu")).isEmpty();
    assertThat(cluster.prepared()).isEmpty();
    PreboundAllocator.Pass waiting = allocator.runOnce();
    assertThat(waiting.waiting().get(RacingCluster.NS + "/job-gpu"))
        .contains("allocated to other claims");
    assertThat(waiting.reasons().get(RacingCluster.NS + "/job-gpu"))
        .isEqualTo(WaitReason.DEVICES_IN_USE);
  }

  @Test
  void theKubeletIsNudgedOnlyOnceTheWriteWasVisibleForTheConfirmationDelay() {
    cluster.preboundPod("job", 1);
    PreboundAllocator.Pass written = allocator.runOnce();
    assertThat(written.confirmIn()).contains(CONFIRM);
    cluster.sync();
    Instant seen = clock.instant();
    assertThat(allocator.runOnce().nudged()).isZero();

    clock.set(seen.plus(CONFIRM).minusMillis(1));
    assertThat(allocator.runOnce().nudged()).isZero();
    clock.set(seen.plus(CONFIRM));
    assertThat(allocator.runOnce().nudged()).isEqualTo(1);
    assertThat(cluster.prepared())
        .containsExactly(new RacingCluster.Prepared("job", List.of("gpu-0")));
  }
}
