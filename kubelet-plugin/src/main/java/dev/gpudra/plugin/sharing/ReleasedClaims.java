package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The claims whose GPU-wide settings an effect has already undone while their checkpoint entries
 * are still present: an unprepare undoes its effects before it removes its entry (so a crash leaves
 * a record), and effects run one at a time while the removals do not. Without this, the last claims
 * of a GPU unprepared at once would each see the others' entries and leave the GPU's daemon or time
 * slice behind. A released claim no longer holds its GPUs; a prepare of it holds them again. Kept
 * in memory only: after a restart, every recorded claim holds its GPUs again until its unprepare,
 * which is what recovery expects. Thread-safe.
 */
final class ReleasedClaims {

  // Guarded by this.
  private final Set<String> uids = new HashSet<>();

  /** Records that {@code uid}'s settings were undone. */
  synchronized void release(String uid) {
    uids.add(uid);
  }

  /** Records that {@code uid} holds its GPUs again (it is being prepared). */
  synchronized void reclaim(String uid) {
    uids.remove(uid);
  }

  /**
   * Whether a claim other than {@code uid} and not released holds GPU {@code gpu} in {@code
   * checkpoint}, as {@code holders} tells. Forgets released claims whose entries are gone.
   */
  synchronized boolean heldByOthers(
      GpuHolders holders, Checkpoint checkpoint, String uid, String gpu) {
    Set<String> present = new HashSet<>();
    for (PreparedClaim claim : checkpoint.entries()) {
      present.add(claim.uid());
    }
    uids.retainAll(present);
    return holders.heldByOthers(checkpoint, uid, gpu, uids);
  }

  /**
   * Undoes {@code claim}'s setting on each of its GPUs (as {@code holders} tells) that no other
   * claim in {@code checkpoint} still holds, and records the claim as released once all are undone;
   * each GPU another claim holds goes to {@code kept} instead. A claim holding no such GPU is left
   * as it is. An exception from {@code undo} stops the loop and leaves the claim unreleased, so
   * that the kubelet's next unprepare tries again.
   */
  void undoWhereLast(
      GpuHolders holders,
      Checkpoint checkpoint,
      PreparedClaim claim,
      Consumer<String> kept,
      Consumer<String> undo) {
    Set<String> gpus = holders.gpus(claim);
    if (gpus.isEmpty()) {
      return;
    }
    for (String gpu : gpus) {
      if (heldByOthers(holders, checkpoint, claim.uid(), gpu)) {
        kept.accept(gpu);
      } else {
        undo.accept(gpu);
      }
    }
    release(claim.uid());
  }
}
