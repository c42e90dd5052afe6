package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.checkpoint.TimeSlice;
import dev.gpudra.core.config.TimeSliceInterval;
import dev.gpudra.plugin.prepare.ClaimEffects;
import dev.gpudra.plugin.prepare.EffectsFailedException;
import dev.gpudra.plugin.prepare.PlannedDevice;
import dev.gpudra.plugin.prepare.PreparePlan;
import dev.gpudra.plugin.prepare.StepListener;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the compute time slice of the GPUs a {@code TimeSlicing} claim holds, and restores {@code
 * Default} when the last claim holding a GPU with a time slice is unprepared.
 *
 * <p>The plan's records carry the {@link TimeSlice} before anything is set ({@code
 * PREPARE_STARTED}), so a crash anywhere leaves a record: the kubelet's repeated prepare sets the
 * slice again (setting is idempotent), its unprepare restores it. Two claims asking different
 * slices for one GPU never get here: {@code GpuSettingConflicts} refuses the second before its
 * entry is reserved. Calls run one at a time ({@code NodeState.effects}), and the checkpoint read
 * in {@link #undo} is the node's state in memory, which already holds every claim reserved by a
 * concurrent prepare, so a GPU another claim is about to use keeps its slice; claims whose undo
 * already ran count no more ({@link ReleasedClaims}), so the last claims of a GPU unprepared at
 * once restore it.
 */
public final class TimeSliceEffects implements ClaimEffects {

  private static final Logger LOG = LoggerFactory.getLogger(TimeSliceEffects.class);
  private static final GpuHolders HOLDERS =
      new GpuHolders(d -> d.timeSlice() == null ? null : d.timeSlice().gpuUuid());

  private final TimeSliceControl control;
  private final Supplier<Checkpoint> checkpoint;
  private final StepListener steps;
  private final ReleasedClaims released = new ReleasedClaims();

  /**
   * @param control sets time slices
   * @param checkpoint the node's current checkpoint (in memory: reserved and prepared claims)
   * @param steps told after every slice set or restored
   */
  public TimeSliceEffects(
      TimeSliceControl control, Supplier<Checkpoint> checkpoint, StepListener steps) {
    this.control = Objects.requireNonNull(control, "control");
    this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
    this.steps = Objects.requireNonNull(steps, "steps");
  }

  @Override
  public PreparePlan apply(PreparePlan plan) {
    released.reclaim(plan.claim().uid());
    for (PlannedDevice device : plan.devices()) {
      TimeSlice slice = device.record().timeSlice();
      if (slice == null) {
        continue;
      }
      try {
        control.set(slice.gpuUuid(), slice.timeSliceInterval());
      } catch (DriverToolException e) {
        // What this call set already is the claim's record: the rollback's undo restores it.
        throw new EffectsFailedException(
            "claim "
                + plan.claim()
                + ": setting time-slice interval "
                + slice.interval()
                + " on device "
                + device.record().deviceName()
                + " (GPU "
                + slice.gpuUuid()
                + ") failed: "
                + e.getMessage(),
            e);
      }
      steps.reached("prepare:time-slice-set");
      LOG.info(
          "time slice of GPU {} ({}) set to {} for claim {}",
          slice.gpuUuid(),
          device.record().deviceName(),
          slice.interval(),
          plan.claim());
    }
    return plan;
  }

  @Override
  public boolean changesNode(PreparePlan plan) {
    return plan.devices().stream().anyMatch(device -> device.record().timeSlice() != null);
  }

  @Override
  public void undo(PreparedClaim claim) {
    released.undoWhereLast(
        HOLDERS,
        checkpoint.get(),
        claim,
        gpu -> LOG.info("time slice of GPU {} stays: other claims share it", gpu),
        gpu -> {
          try {
            control.set(gpu, TimeSliceInterval.DEFAULT);
          } catch (DriverToolException e) {
            // The entry stays (the caller fails): the kubelet's next unprepare tries again.
            throw new IllegalStateException(
                "restoring the Default time slice of GPU " + gpu + " failed: " + e.getMessage(), e);
          }
          steps.reached("unprepare:time-slice-restored");
          LOG.info("time slice of GPU {} restored to Default (claim {})", gpu, claim.uid());
        });
  }
}
