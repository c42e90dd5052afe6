package dev.gpudra.plugin.prepare;

import dev.gpudra.core.checkpoint.PreparedClaim;

/**
 * Changes to the node a prepared claim needs beyond its CDI spec (creating MIG devices, setting
 * time-slices, starting an MPS daemon), and their undoing. Calls run one at a time ({@code
 * NodeState.effects}), after {@code PREPARE_STARTED} is saved and before the spec is written.
 *
 * <p>After a crash, {@link #apply} may run again for a claim and {@link #undo} may run for a claim
 * whose effects were never applied, so both must tolerate any state a crash can leave, or rely on
 * start-up recovery to have removed it (as MIG creation does: see {@code mig.MigRecovery}). A
 * failing {@link #apply} removes what it made itself before it throws.
 */
public interface ClaimEffects {

  /** No effects: exclusive use of existing devices needs nothing but the CDI spec. */
  ClaimEffects NONE =
      new ClaimEffects() {
        @Override
        public PreparePlan apply(PreparePlan plan) {
          plan.hardware(); // a device to create cannot be prepared without effects
          return plan;
        }

        @Override
        public void undo(PreparedClaim claim) {}

        @Override
        public boolean changesNode(PreparePlan plan) {
          return false;
        }
      };

  /**
   * Puts the plan's effects in place.
   *
   * @return the plan with every device existing ({@link PlannedDevice.Existing}), its records
   *     holding what was created
   * @throws EffectsFailedException when the node refused a change; the message is the claim's error
   */
  PreparePlan apply(PreparePlan plan);

  /** Removes the effects recorded for {@code claim}, from the checkpoint alone. */
  void undo(PreparedClaim claim);

  /**
   * Whether {@link #apply} may change the node for {@code plan}. When not, {@code apply} would
   * return {@code plan} as it is, and prepare neither calls it nor makes {@code PREPARE_STARTED}
   * durable first: a crash then leaves at most a spec without an entry, which recovery removes.
   * When in doubt, true.
   */
  default boolean changesNode(PreparePlan plan) {
    return true;
  }
}
