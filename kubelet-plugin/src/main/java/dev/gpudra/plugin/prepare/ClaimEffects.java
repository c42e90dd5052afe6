package dev.gpudra.plugin.prepare;

import dev.gpudra.core.checkpoint.PreparedClaim;

/**
 * Changes to the node a prepared claim needs beyond its CDI spec (creating MIG devices, setting
 * time-slices, starting an MPS daemon), and their undoing.
 *
 * <p>Both operations must be idempotent: after a crash, {@link #apply} may run again for a claim
 * whose effects are partly or fully in place, and {@link #undo} may run for a claim whose effects
 * were never applied.
 */
public interface ClaimEffects {

  /** No effects: exclusive use of existing devices needs nothing but the CDI spec. */
  ClaimEffects NONE =
      new ClaimEffects() {
        @Override
        public void apply(PreparePlan plan) {}

        @Override
        public void undo(PreparedClaim claim) {}
      };

  /** Puts the plan's effects in place. */
  void apply(PreparePlan plan);

  /** Removes the effects recorded for {@code claim}, from the checkpoint alone. */
  void undo(PreparedClaim claim);
}
