package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.core.checkpoint.PreparedClaim;
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
 * Makes the MPS control daemon of each GPU an MPS claim (or a fractional share) uses run, and stops
 * it when the last claim using the GPU's daemon is unprepared: one daemon per GPU, shared by every
 * claim the allocator placed there, whatever their pods and namespaces.
 *
 * <p>The plan's records carry the {@link MpsRecord} before the daemon is touched ({@code
 * PREPARE_STARTED} is durable first, {@link #changesNode}), so a crash anywhere leaves a record:
 * start-up recovery starts the daemon again for it, the kubelet's repeated prepare adopts it, its
 * unprepare stops it. Two claims wanting the GPU differently (MPS next to time-slicing, other
 * daemon defaults) never get here: {@code GpuSettingConflicts} refuses the second. Calls run one at
 * a time ({@code NodeState.effects}), and {@link #undo} reads the node's checkpoint in memory,
 * which already holds every claim a concurrent prepare reserved, so a daemon another claim is about
 * to use is never stopped under it; claims whose undo already ran count no more ({@link
 * ReleasedClaims}), so the last claims of a GPU unprepared at once stop its daemon.
 */
public final class MpsEffects implements ClaimEffects {

  private static final Logger LOG = LoggerFactory.getLogger(MpsEffects.class);
  private static final GpuHolders HOLDERS =
      new GpuHolders(d -> d.mps() == null ? null : d.mps().gpuUuid());

  private final MpsControl control;
  private final Supplier<Checkpoint> checkpoint;
  private final StepListener steps;
  private final ReleasedClaims released = new ReleasedClaims();

  /**
   * @param control runs the daemons
   * @param checkpoint the node's current checkpoint (in memory: reserved and prepared claims)
   * @param steps told after every daemon started or stopped
   */
  public MpsEffects(MpsControl control, Supplier<Checkpoint> checkpoint, StepListener steps) {
    this.control = Objects.requireNonNull(control, "control");
    this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
    this.steps = Objects.requireNonNull(steps, "steps");
  }

  @Override
  public PreparePlan apply(PreparePlan plan) {
    released.reclaim(plan.claim().uid());
    for (PlannedDevice device : plan.devices()) {
      MpsRecord mps = device.record().mps();
      if (mps == null) {
        continue;
      }
      boolean started;
      try {
        started = control.ensure(mps);
      } catch (DriverToolException e) {
        // ensure stopped what it started; devices before this one hold daemons the rollback's undo
        // stops when no other claim uses them.
        throw new EffectsFailedException(
            "claim "
                + plan.claim()
                + ": starting the MPS control daemon of GPU "
                + mps.gpuUuid()
                + " for device "
                + device.record().deviceName()
                + " failed: "
                + e.getMessage(),
            e);
      }
      if (started) {
        steps.reached("prepare:mps-daemon-started");
        LOG.info(
            "MPS daemon of GPU {} started for claim {} ({})",
            mps.gpuUuid(),
            plan.claim(),
            device.record().deviceName());
      }
    }
    return plan;
  }

  @Override
  public boolean changesNode(PreparePlan plan) {
    return plan.devices().stream().anyMatch(device -> device.record().mps() != null);
  }

  @Override
  public void undo(PreparedClaim claim) {
    released.undoWhereLast(
        HOLDERS,
        checkpoint.get(),
        claim,
        gpu -> LOG.info("MPS daemon of GPU {} stays: other claims use it", gpu),
        gpu -> {
          try {
            control.stop(gpu);
          } catch (DriverToolException e) {
            // The entry stays (the caller fails): the kubelet's next unprepare tries again.
            throw new IllegalStateException(
                "stopping the MPS control daemon of GPU " + gpu + " failed: " + e.getMessage(), e);
          }
          steps.reached("unprepare:mps-daemon-stopped");
        });
  }
}
