package dev.gpudra.plugin.state;

import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first step of {@code StartupRecovery}: brings the checkpoint and the CDI directory into
 * agreement at start-up, before the DRA socket serves. Never fails because of their content, only
 * because of I/O errors, so a damaged file cannot crash-loop the plugin.
 *
 * <ol>
 *   <li>A valid checkpoint of this boot is kept.
 *   <li>A checkpoint of an earlier boot means nothing is prepared any more (MIG devices, daemons
 *       and the containers using them did not survive the reboot): it is emptied and every spec
 *       removed; the kubelet's repeated calls prepare afresh.
 *   <li>A damaged, truncated, empty or unknown-version checkpoint is moved aside (one log line)
 *       and, like a missing one, rebuilt from our spec files and the API server.
 *   <li>Specs without an entry are removed; a completed entry whose spec is missing (deleted behind
 *       the plugin's back) gets it written again with the content it was prepared with ({@link
 *       ClaimSpecSource}), since a real kubelet never repeats the prepare of a claim it holds
 *       prepared. Only when that cannot be done exactly does the entry go back to {@code
 *       PREPARE_STARTED}, so that a repeated prepare writes the spec.
 * </ol>
 *
 * <p>Another plugin instance may serve the kubelet meanwhile (a rolling update's overlap, sharing
 * the directories): recovery holds the store lock ({@link CheckpointLock}) from reading the
 * checkpoint to saving it, so that instance's commits wait and none is lost, and it leaves alone
 * the files of every claim that instance is preparing or unpreparing at that moment (whose claim
 * lock it holds): its temporary files, its fresh spec without a durable entry yet, its removed spec
 * whose entry goes next. That instance notices the saved checkpoint at its next step.
 *
 * <p>Every step is idempotent, so a crash anywhere in recovery is recovered by the next start: a
 * spec written again is a complete file or none (atomic write; a leftover temporary file is removed
 * first), and a restored spec found at the next start is simply kept.
 */
public final class CheckpointRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointRecovery.class);

  private CheckpointRecovery() {}

  /**
   * Recovers and saves the checkpoint.
   *
   * @return the checkpoint the plugin starts with, already on disk
   */
  public static Checkpoint recover(
      CheckpointStore store, CdiSpecWriter specs, String bootId, ClaimRebuilder rebuilder) {
    return recover(store, specs, bootId, rebuilder, step -> {});
  }

  /**
   * Recovers and saves the checkpoint, telling {@code steps} of each durable step ({@code
   * recovery:leftovers-removed}, {@code recovery:specs-removed}, {@code
   * recovery:checkpoint-saved}), where a crash test kills the plugin: recovery itself must survive
   * a crash at any of them.
   *
   * @return the checkpoint the plugin starts with, already on disk
   */
  public static Checkpoint recover(
      CheckpointStore store,
      CdiSpecWriter specs,
      String bootId,
      ClaimRebuilder rebuilder,
      Consumer<String> steps) {
    return recover(store, specs, bootId, rebuilder, ClaimSpecSource.NONE, steps);
  }

  /**
   * Recovers and saves the checkpoint, writing the missing specs of completed claims that {@code
   * specSource} can build again, telling {@code steps} of each durable step ({@code
   * recovery:leftovers-removed}, {@code recovery:specs-removed}, {@code recovery:specs-restored},
   * {@code recovery:checkpoint-saved}).
   *
   * @return the checkpoint the plugin starts with, already on disk
   */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public static Checkpoint recover(
      CheckpointStore store,
      CdiSpecWriter specs,
      String bootId,
      ClaimRebuilder rebuilder,
      ClaimSpecSource specSource,
      Consumer<String> steps) {
    try (CheckpointLock.Held held = store.lock().store()) {
      return recoverLocked(store, specs, bootId, rebuilder, specSource, steps);
    }
  }

  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  private static Checkpoint recoverLocked(
      CheckpointStore store,
      CdiSpecWriter specs,
      String bootId,
      ClaimRebuilder rebuilder,
      ClaimSpecSource specSource,
      Consumer<String> steps) {
    CheckpointLock locks = store.lock();
    // A claim nobody works on now has only a crash's leftovers; one that starts after this check
    // writes a temporary file of a new name, which recovery does not touch.
    int temporaries = specs.removeLeftoverTemporaryFiles(locks::idle);
    if (temporaries > 0) {
      LOG.info("removed {} temporary CDI files left by a crash", temporaries);
    }
    int checkpointTemporaries = store.removeLeftoverTemporaryFiles();
    if (checkpointTemporaries > 0) {
      LOG.info("removed {} temporary checkpoint files left by a crash", checkpointTemporaries);
    }
    steps.accept("recovery:leftovers-removed");
    Set<String> specUids = new TreeSet<>(specs.listClaimUids());
    Checkpoint checkpoint =
        switch (store.load()) {
          case CheckpointStore.Loaded.Valid valid when valid.checkpoint().bootId().equals(bootId) ->
              valid.checkpoint();
          case CheckpointStore.Loaded.Valid valid -> {
            LOG.warn(
                "node rebooted since the checkpoint was written (boot id {} -> {}): {} claims are"
                    + " no longer prepared; removing their state, the kubelet prepares them again",
                valid.checkpoint().bootId(),
                bootId,
                valid.checkpoint().claims().size());
            yield Checkpoint.empty(bootId);
          }
          case CheckpointStore.Loaded.MovedAside aside -> {
            LOG.error(
                "checkpoint {} is unusable ({}); moved it to {} and rebuilding from {} CDI specs"
                    + " and the API server",
                store.file(),
                aside.reason(),
                aside.movedTo(),
                specUids.size());
            yield new Checkpoint(bootId, rebuilder.rebuild(specUids));
          }
          case CheckpointStore.Loaded.Missing missing -> {
            if (!specUids.isEmpty()) {
              LOG.warn(
                  "no checkpoint at {} but {} CDI specs; rebuilding from them and the API server",
                  store.file(),
                  specUids.size());
            }
            yield new Checkpoint(
                bootId, specUids.isEmpty() ? java.util.Map.of() : rebuilder.rebuild(specUids));
          }
        };

    for (String uid : specUids) {
      if (checkpoint.claim(uid).isPresent()) {
        continue;
      }
      Optional<CheckpointLock.Held> claimLock = locks.tryClaim(uid);
      if (claimLock.isEmpty()) {
        LOG.info("kept the CDI spec of claim {}: another instance is preparing it", uid);
        continue;
      }
      try (CheckpointLock.Held held = claimLock.get()) {
        specs.delete(uid);
        LOG.info("removed CDI spec of claim {}, which the checkpoint does not hold", uid);
      }
    }
    steps.accept("recovery:specs-removed");
    int restored = 0;
    for (PreparedClaim claim : checkpoint.entries()) {
      if (claim.state() != ClaimState.PREPARE_COMPLETED || specUids.contains(claim.uid())) {
        continue;
      }
      Optional<CheckpointLock.Held> claimLock = locks.tryClaim(claim.uid());
      if (claimLock.isEmpty()) {
        // Its spec went with an unprepare in flight, whose entry goes next.
        LOG.info("left claim {} alone: another instance is unpreparing it", claim.uid());
        continue;
      }
      try (CheckpointLock.Held held = claimLock.get()) {
        Optional<ClaimSpec> spec = specSource.specOf(claim);
        if (spec.isPresent()) {
          specs.write(spec.get());
          restored++;
          LOG.warn(
              "claim {}/{} ({}) was completed but its CDI spec was missing; wrote it again",
              claim.namespace(),
              claim.name(),
              claim.uid());
        } else {
          LOG.warn(
              "claim {}/{} ({}) was completed but its CDI spec is missing; it will be prepared again",
              claim.namespace(),
              claim.name(),
              claim.uid());
          checkpoint = checkpoint.with(claim.withState(ClaimState.PREPARE_STARTED));
        }
      }
    }
    steps.accept("recovery:specs-restored");
    store.save(checkpoint);
    steps.accept("recovery:checkpoint-saved");
    LOG.info(
        "recovered {} prepared claims ({} completed, {} missing CDI specs written again) for boot"
            + " {}",
        checkpoint.claims().size(),
        checkpoint.entries().stream()
            .filter(c -> c.state() == ClaimState.PREPARE_COMPLETED)
            .count(),
        restored,
        bootId);
    return checkpoint;
  }
}
