package dev.gpudra.plugin.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit on real files: what every caller was told is durable is on disk. */
class NodeStateIT {

  @TempDir Path tmp;

  private static PreparedClaim claim(int i) {
    return new PreparedClaim(
        String.format("00000000-0000-4000-8000-%012d", i),
        "ml",
        "c" + i,
        ClaimState.PREPARE_COMPLETED,
        List.of(
            new CheckpointedDevice(
                List.of("gpu"), "node-a", "gpu-" + (i % 8), List.of(), true, "Exclusive")));
  }

  @Test
  void everyChangeAConcurrentCallerAwaitedIsOnDiskAfterARestart() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp, Clock.systemUTC());
    store.save(Checkpoint.empty("boot"));
    NodeState state = new NodeState(store, Checkpoint.empty("boot"));
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> calls = new ArrayList<>();
    try (ExecutorService pods = Executors.newFixedThreadPool(32)) {
      for (int i = 0; i < 64; i++) {
        int n = i;
        calls.add(
            pods.submit(
                () -> {
                  go.await();
                  state.awaitDurable(state.put(claim(n)));
                  if (n % 2 == 1) {
                    state.awaitDurable(state.remove(claim(n).uid()));
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> call : calls) {
        call.get();
      }
    }

    Checkpoint expected = Checkpoint.empty("boot");
    for (int i = 0; i < 64; i += 2) {
      expected = expected.with(claim(i));
    }
    assertThat(state.snapshot()).isEqualTo(expected);
    assertThat(new CheckpointStore(tmp, Clock.systemUTC()).load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(expected));
  }

  @Test
  void changesAreAppendedUntilTheFileOutgrowsItsSnapshotThenRewrittenWhole() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp, Clock.systemUTC());
    store.save(Checkpoint.empty("boot"));
    NodeState state = new NodeState(store, Checkpoint.empty("boot"));

    state.awaitDurable(state.put(claim(1)));
    String afterOne = Files.readString(store.file(), StandardCharsets.UTF_8);
    IntStream.range(0, 400)
        .forEach(
            i ->
                state.awaitDurable(
                    state.put(
                        claim(i % 3)
                            .withState(
                                i % 2 == 0
                                    ? ClaimState.PREPARE_STARTED
                                    : ClaimState.PREPARE_COMPLETED))));
    String afterMany = Files.readString(store.file(), StandardCharsets.UTF_8);

    assertThat(afterOne).startsWith("GPUDRA-CHECKPOINT 2 ").contains("GPUDRA-CHANGE ");
    // Compacted: far fewer than 400 changes on disk, and the content is what memory holds.
    assertThat(afterMany.split("GPUDRA-CHANGE ", -1).length - 1).isLessThan(400);
    assertThat(new CheckpointStore(tmp, Clock.systemUTC()).load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(state.snapshot()));
  }

  @Test
  void aClaimsOwnDurableEntryIsReadWhileAnotherClaimsCommitIsStillOnItsWayToDisk()
      throws Exception {
    CheckpointStore store = new CheckpointStore(tmp, Clock.systemUTC());
    store.save(Checkpoint.empty("boot").with(claim(1)));
    CountDownLatch appended = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // Holds the next commit between its append and its fdatasync.
    NodeState state =
        new NodeState(
            store,
            Checkpoint.empty("boot").with(claim(1)),
            step -> {
              appended.countDown();
              awaitQuietly(release);
            });
    try (ExecutorService pods = Executors.newFixedThreadPool(2)) {
      Future<?> slow = pods.submit(() -> state.awaitDurable(state.put(claim(2))));
      assertThat(appended.await(10, TimeUnit.SECONDS)).isTrue();

      // Claim 1 has nothing on its way to disk: answered at once, not after claim 2's commit.
      Future<Optional<PreparedClaim>> first = pods.submit(() -> state.durableClaim(claim(1).uid()));
      assertThat(first.get(10, TimeUnit.SECONDS)).contains(claim(1));
      // Claim 2's entry is durable only once its commit is.
      Future<Optional<PreparedClaim>> second =
          pods.submit(() -> state.durableClaim(claim(2).uid()));
      assertThatThrownBy(() -> second.get(300, TimeUnit.MILLISECONDS))
          .isInstanceOf(TimeoutException.class);
      release.countDown();
      assertThat(second.get(10, TimeUnit.SECONDS)).contains(claim(2));
      slow.get(10, TimeUnit.SECONDS);
    }
    assertThat(new CheckpointStore(tmp, Clock.systemUTC()).load())
        .isEqualTo(
            new CheckpointStore.Loaded.Valid(
                Checkpoint.empty("boot").with(claim(1)).with(claim(2))));
  }

  @Test
  void changesQueuedBehindACommitOnItsWayAreWrittenByOneMoreCommitAndEveryCallerReturns()
      throws Exception {
    HeldFirstCommit held = new HeldFirstCommit(tmp, false);
    NodeState state = held.state;
    int queued = 16;
    CountDownLatch changed = new CountDownLatch(queued);
    List<Future<?>> calls = new ArrayList<>();
    try (ExecutorService pods = Executors.newFixedThreadPool(queued + 1)) {
      calls.add(pods.submit(() -> state.awaitDurable(state.put(claim(0)))));
      assertThat(held.appended.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 1; i <= queued; i++) {
        int n = i;
        calls.add(putAndAwait(pods, state, n, changed));
      }
      assertThat(changed.await(10, TimeUnit.SECONDS)).isTrue();
      held.release.countDown();
      for (Future<?> call : calls) {
        call.get(10, TimeUnit.SECONDS);
      }
    }
    // The held commit, then one for the sixteen changes made meanwhile: not one each.
    assertThat(held.appends.get()).isEqualTo(2);
    Checkpoint expected = Checkpoint.empty("boot");
    for (int i = 0; i <= queued; i++) {
      expected = expected.with(claim(i));
    }
    assertOnDisk(expected);
  }

  @Test
  void aCallerInterruptedWhileItsChangeIsOnItsWayReturnsOnlyOnceItIsDurableAndStaysInterrupted()
      throws Exception {
    HeldFirstCommit held = new HeldFirstCommit(tmp, false);
    NodeState state = held.state;
    try (ExecutorService pods = Executors.newFixedThreadPool(2)) {
      Future<?> first = pods.submit(() -> state.awaitDurable(state.put(claim(1))));
      assertThat(held.appended.await(10, TimeUnit.SECONDS)).isTrue();
      AtomicReference<Thread> waiter = new AtomicReference<>();
      CountDownLatch changed = new CountDownLatch(1);
      Future<Boolean> interrupted =
          pods.submit(
              () -> {
                waiter.set(Thread.currentThread());
                long seq = state.put(claim(2));
                changed.countDown();
                state.awaitDurable(seq);
                return Thread.currentThread().isInterrupted();
              });
      assertThat(changed.await(10, TimeUnit.SECONDS)).isTrue();
      waiter.get().interrupt();
      // Not let go by the interrupt: its change is not on disk yet.
      assertThatThrownBy(() -> interrupted.get(300, TimeUnit.MILLISECONDS))
          .isInstanceOf(TimeoutException.class);
      held.release.countDown();
      assertThat(interrupted.get(10, TimeUnit.SECONDS)).isTrue();
      first.get(10, TimeUnit.SECONDS);
    }
    assertOnDisk(Checkpoint.empty("boot").with(claim(1)).with(claim(2)));
  }

  @Test
  void whenACommitFailsItsCallerIsToldAndTheCallersQueuedBehindItAreWrittenWithItsChange()
      throws Exception {
    // The first commit fails after its write, as a failed fdatasync would.
    HeldFirstCommit held = new HeldFirstCommit(tmp, true);
    NodeState state = held.state;
    try (ExecutorService pods = Executors.newFixedThreadPool(4)) {
      Future<?> failing = pods.submit(() -> state.awaitDurable(state.put(claim(1))));
      assertThat(held.appended.await(10, TimeUnit.SECONDS)).isTrue();
      CountDownLatch changed = new CountDownLatch(2);
      List<Future<?>> queued = new ArrayList<>();
      for (int i = 2; i <= 3; i++) {
        int n = i;
        queued.add(putAndAwait(pods, state, n, changed));
      }
      assertThat(changed.await(10, TimeUnit.SECONDS)).isTrue();
      held.release.countDown();
      assertThatThrownBy(() -> failing.get(10, TimeUnit.SECONDS)).hasRootCauseMessage("disk gone");
      for (Future<?> call : queued) {
        call.get(10, TimeUnit.SECONDS);
      }
    }
    // The next commit saved the whole checkpoint, the failed change included.
    assertOnDisk(Checkpoint.empty("boot").with(claim(1)).with(claim(2)).with(claim(3)));
  }

  // A caller that changes claim n's entry, counts down changed, then waits for it to be on disk.
  private static Future<?> putAndAwait(
      ExecutorService pods, NodeState state, int n, CountDownLatch changed) {
    return pods.submit(
        () -> {
          long seq = state.put(claim(n));
          changed.countDown();
          state.awaitDurable(seq);
          return null;
        });
  }

  // What a restarted plugin would read from tmp.
  private void assertOnDisk(Checkpoint expected) {
    assertThat(new CheckpointStore(tmp, Clock.systemUTC()).load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(expected));
  }

  /**
   * A node state on an empty checkpoint in {@code dir} whose first commit stops between its append
   * and its fdatasync ({@code appended}) until {@code release}, and then fails when asked to (as a
   * failed fdatasync would); {@code appends} counts the appends.
   */
  private static final class HeldFirstCommit {
    final CountDownLatch appended = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger appends = new AtomicInteger();
    final NodeState state;

    HeldFirstCommit(Path dir, boolean failIt) {
      CheckpointStore store = new CheckpointStore(dir, Clock.systemUTC());
      store.save(Checkpoint.empty("boot"));
      state =
          new NodeState(
              store,
              Checkpoint.empty("boot"),
              step -> {
                if (appends.incrementAndGet() == 1) {
                  appended.countDown();
                  awaitQuietly(release);
                  if (failIt) {
                    throw new java.io.UncheckedIOException(new java.io.IOException("disk gone"));
                  }
                }
              });
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
