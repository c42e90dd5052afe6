package dev.gpudra.core.checkpoint;

import java.util.Objects;

/**
 * One change to a {@link Checkpoint}, as appended to the checkpoint file after its snapshot: a
 * claim's entry added or replaced, or removed. Appending a change costs one small write instead of
 * rewriting every claim.
 */
public sealed interface CheckpointChange {

  /** The checkpoint with this change applied. */
  Checkpoint applyTo(Checkpoint checkpoint);

  /**
   * Claim {@code claim.uid()} added or replaced.
   *
   * @param claim the new entry
   */
  record Put(PreparedClaim claim) implements CheckpointChange {
    /** Requires the claim. */
    public Put {
      Objects.requireNonNull(claim, "claim");
    }

    @Override
    public Checkpoint applyTo(Checkpoint checkpoint) {
      return checkpoint.with(claim);
    }
  }

  /**
   * Claim {@code uid} removed; nothing when it is absent.
   *
   * @param uid the claim's UID
   */
  record Remove(String uid) implements CheckpointChange {
    /** Requires a UID. */
    public Remove {
      Objects.requireNonNull(uid, "uid");
      if (uid.isEmpty()) {
        throw new IllegalArgumentException("claim uid must not be empty");
      }
    }

    @Override
    public Checkpoint applyTo(Checkpoint checkpoint) {
      return checkpoint.without(uid);
    }
  }
}
