package dev.gpudra.core.checkpoint;

import java.util.Objects;

/**
 * What {@link CheckpointCodec#decodeDetailed} read: the checkpoint, and how it was stored.
 *
 * @param checkpoint the snapshot with every complete change applied
 * @param version the format version of the file
 * @param changes how many appended changes were applied
 * @param droppedTailBytes bytes of an unfinished last change (an append cut off by a crash before
 *     it was synced, so never acknowledged) that were ignored; 0 for a clean file
 */
public record DecodedCheckpoint(
    Checkpoint checkpoint, int version, int changes, int droppedTailBytes) {

  /** Requires the checkpoint and counts >= 0. */
  public DecodedCheckpoint {
    Objects.requireNonNull(checkpoint, "checkpoint");
    if (changes < 0 || droppedTailBytes < 0) {
      throw new IllegalArgumentException("negative count");
    }
  }
}
