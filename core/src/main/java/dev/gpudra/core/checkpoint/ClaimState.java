package dev.gpudra.core.checkpoint;

/**
 * How far preparing a claim got. {@code PREPARE_STARTED} is written before any effect, so a crash
 * in between leaves a record of what may have to be undone; {@code PREPARE_COMPLETED} is written
 * only after the claim's CDI spec is in place.
 */
public enum ClaimState {
  PREPARE_STARTED,
  PREPARE_COMPLETED
}
