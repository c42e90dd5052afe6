package dev.gpudra.plugin.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two checkpoint stores on one directory, as two plugin instances on a node during a rolling
 * update: each sees what the other wrote before it writes or answers, step by step.
 */
class TwoStoresOneCheckpointIT {

  @TempDir Path tmp;

  private static PreparedClaim claim(int i) {
    return new PreparedClaim(
        String.format("00000000-0000-4000-8000-%012d", i),
        "ns",
        "claim-" + i,
        ClaimState.PREPARE_COMPLETED,
        List.of(
            new CheckpointedDevice(
                List.of("gpu"), "node-a", "gpu-" + (i % 8), List.of(), true, "Exclusive")));
  }

  private CheckpointStore store() {
    return new CheckpointStore(tmp, Clock.systemUTC());
  }

  @Test
  void aCommitAfterAnotherInstanceRewroteTheFileKeepsBothInstancesRecords() {
    CheckpointStore old = store();
    old.save(Checkpoint.empty("boot"));
    NodeState oldState = new NodeState(old, Checkpoint.empty("boot"));
    oldState.awaitDurable(oldState.put(claim(1)));

    // The new instance's start-up: read, add its own record, save whole.
    CheckpointStore surged = store();
    Checkpoint read = ((CheckpointStore.Loaded.Valid) surged.load()).checkpoint();
    surged.save(read.with(claim(2)));

    // The old instance, whose open file was replaced, commits its next change.
    oldState.awaitDurable(oldState.put(claim(3)));

    Checkpoint expected = Checkpoint.empty("boot").with(claim(1)).with(claim(2)).with(claim(3));
    assertThat(store().load()).isEqualTo(new CheckpointStore.Loaded.Valid(expected));
    assertThat(oldState.snapshot()).isEqualTo(expected);
  }

  @Test
  void anInstanceAnswersWithWhatTheOtherAppendedToAFileItHadRead() {
    CheckpointStore first = store();
    first.save(Checkpoint.empty("boot"));
    NodeState firstState = new NodeState(first, Checkpoint.empty("boot"));
    CheckpointStore second = store();
    second.save(Checkpoint.empty("boot"));
    NodeState secondState = new NodeState(second, Checkpoint.empty("boot"));

    // The first merges the second's file and writes its own; the second reads that file.
    firstState.awaitDurable(firstState.put(claim(1)));
    assertThat(secondState.durableSnapshot().claim(claim(1).uid())).contains(claim(1));
    // The first appends to its own file, which the second has read.
    firstState.awaitDurable(firstState.put(claim(2)));
    firstState.awaitDurable(firstState.remove(claim(1).uid()));

    assertThat(secondState.durableSnapshot()).isEqualTo(Checkpoint.empty("boot").with(claim(2)));
  }

  @Test
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  void aClaimAnotherInstanceWorksOnIsNotTakenUntilItIsDone() throws Exception {
    CheckpointStore first = store();
    CheckpointStore second = store();
    String uid = claim(1).uid();

    // Locks are reentrant per thread: the other instance asks from a thread of its own.
    try (ExecutorService other = Executors.newSingleThreadExecutor()) {
      Callable<Boolean> tryIt =
          () -> {
            Optional<CheckpointLock.Held> held = second.lock().tryClaim(uid);
            held.ifPresent(CheckpointLock.Held::close);
            return held.isPresent();
          };
      boolean whileHeld;
      try (CheckpointLock.Held held = first.lock().claim(uid)) {
        whileHeld = other.submit(tryIt).get();
      }
      boolean afterwards = other.submit(tryIt).get();

      assertThat(whileHeld).isFalse();
      assertThat(afterwards).isTrue();
    }
  }
}
