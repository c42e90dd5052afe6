package dev.gpudra.plugin.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.plugin.sharing.InMemoryMpsDaemons;
import dev.gpudra.plugin.state.CheckpointLock;
import dev.gpudra.plugin.state.CheckpointStore;
import dev.gpudra.plugin.state.ClaimRebuilder;
import dev.gpudra.plugin.state.ClaimSpecSource;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up recovery of a new plugin instance while the old one still works on claims of the node (a
 * rolling update's overlap): what the old one is in the middle of is left as it is, everything else
 * is recovered as at any start.
 */
class StartupRecoveryBesideAnotherInstanceIT {

  private static final String BOOT = "boot-1";
  private static final String UNPREPARING = "00000000-0000-4000-8000-000000000001";
  private static final String IDLE = "00000000-0000-4000-8000-000000000002";

  @TempDir Path root;

  @Test
  void theDaemonOfAClaimTheOtherInstanceIsUnpreparingIsNotStartedAgain() throws Exception {
    CheckpointStore old = new CheckpointStore(root.resolve("checkpoint"), Clock.systemUTC());
    old.save(
        Checkpoint.empty(BOOT)
            .with(mpsClaim(UNPREPARING, "gpu-1", "GPU-1"))
            .with(mpsClaim(IDLE, "gpu-2", "GPU-2")));
    InMemoryMpsDaemons daemons = new InMemoryMpsDaemons();
    // The old instance stopped GPU-1's daemon for the claim it unprepares, whose entry goes next;
    // GPU-2's daemon died with the old pod's container; GPU-3's is a crash's leftover.
    daemons.running.add("GPU-3");

    List<String> steps = new ArrayList<>();
    Checkpoint recovered;
    Holder unpreparing = Holder.of(old.lock(), UNPREPARING);
    try {
      recovered =
          new StartupRecovery(
                  new CheckpointStore(root.resolve("checkpoint"), Clock.systemUTC()),
                  new CdiSpecWriter(root.resolve("cdi")),
                  BOOT,
                  ClaimRebuilder.NONE,
                  ClaimSpecSource.NONE,
                  Optional.empty(),
                  Optional.of(daemons),
                  steps::add)
              .recover(new NodeInventory("550.54.15", "12.4", List.of(), List.of()));
    } finally {
      unpreparing.release();
    }

    assertThat(daemons.running)
        .as("daemons running after recovery")
        .containsExactly("GPU-2")
        .doesNotContain("GPU-1");
    assertThat(steps).contains("recovery:mps-daemon-started", "recovery:mps-daemon-stopped");
    assertThat(recovered.claim(UNPREPARING))
        .as("the claim being unprepared keeps its entry as the old instance left it")
        .map(PreparedClaim::state)
        .contains(ClaimState.PREPARE_COMPLETED);
    assertThat(recovered.claims()).containsOnlyKeys(UNPREPARING, IDLE);
  }

  private static PreparedClaim mpsClaim(String uid, String device, String gpuUuid) {
    CheckpointedDevice mps =
        new CheckpointedDevice(
                List.of("gpu"),
                "node-a",
                device,
                List.of("k8s.gpu.gpudra.dev/claim=" + uid + "-" + device),
                false,
                "MPS")
            .withMps(MpsRecord.clientOf(gpuUuid));
    return new PreparedClaim(
        uid, "ns", "claim-" + device, ClaimState.PREPARE_COMPLETED, List.of(mps));
  }

  /** Another instance's thread holding a claim's lock until released, as its unprepare does. */
  private record Holder(CountDownLatch released, CompletableFuture<Void> done) {

    @SuppressWarnings("try") // the lock is held for the block; its handle is not used
    static Holder of(CheckpointLock locks, String uid) throws InterruptedException {
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Void> done =
          CompletableFuture.runAsync(
              () -> {
                try (CheckpointLock.Held claim = locks.claim(uid)) {
                  held.countDown();
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      held.await();
      return new Holder(release, done);
    }

    void release() throws Exception {
      released.countDown();
      done.get(60, TimeUnit.SECONDS);
    }
  }
}
