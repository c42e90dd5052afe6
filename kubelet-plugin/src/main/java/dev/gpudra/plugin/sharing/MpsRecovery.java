package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up recovery of the MPS daemons, after the checkpoint agrees with the CDI specs and before
 * any socket serves. Afterwards every GPU that a checkpoint entry (completed or started) records as
 * an MPS GPU has a running daemon, and no other GPU has one or any of its leftovers:
 *
 * <ul>
 *   <li>a running daemon is adopted as it is, untouched (its clients keep running: a plugin restart
 *       on a node whose daemon survived, as a daemon pod always does, is invisible to them; a
 *       daemon pod keeps its uid);
 *   <li>a recorded GPU whose daemon is gone (a reboot; the plugin's container restarted, taking its
 *       child with it in the process form) gets a new daemon with the recorded defaults, so the
 *       claims' containers that start or restart from now on find one;
 *   <li>a GPU with a daemon, a daemon pod or leftovers that no entry records (a crash between
 *       stopping the daemon and forgetting the claim) is stopped and cleaned, its pod deleted and
 *       its compute mode restored.
 * </ul>
 *
 * A daemon that cannot be started or stopped is logged and left: the next prepare or unprepare of a
 * claim on that GPU tries again. Never throws for what it finds.
 *
 * <p>Another plugin instance may serve the node meanwhile (a rolling update's overlap): the caller
 * holds the effects lock, passes only the claims nobody works on, and names the GPUs of the claims
 * the other instance is preparing or unpreparing, whose daemons this recovery never stops (their
 * prepare may have just started one, their unprepare stops it itself).
 */
public final class MpsRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(MpsRecovery.class);

  private MpsRecovery() {}

  /**
   * Reconciles the daemons of {@code control} with {@code checkpoint}.
   *
   * @param handsOff GPUs whose daemons are not stopped even when no claim of {@code checkpoint}
   *     wants one
   * @param steps told after each daemon started or stopped (a crash test's kill points)
   */
  public static void recover(
      Checkpoint checkpoint, Set<String> handsOff, MpsControl control, Consumer<String> steps) {
    Map<String, MpsRecord> wanted = new LinkedHashMap<>();
    for (PreparedClaim claim : checkpoint.entries()) {
      for (CheckpointedDevice device : claim.devices()) {
        MpsRecord mps = device.mps();
        if (mps != null) {
          // Claims on one GPU never disagree on defaults (GpuSettingConflicts); one that sets
          // them wins over clients that set none.
          wanted.merge(mps.gpuUuid(), mps, (a, b) -> a.setsDefaults() ? a : b);
        }
      }
    }
    int adopted = 0;
    int started = 0;
    int stopped = 0;
    for (MpsRecord daemon : wanted.values()) {
      try {
        if (control.ensure(daemon)) {
          started++;
          steps.accept("recovery:mps-daemon-started");
        } else {
          adopted++;
        }
      } catch (DriverToolException | RuntimeException e) {
        LOG.error(
            "cannot start the MPS daemon of GPU {} for its recorded claims; the next prepare of"
                + " one of them tries again",
            daemon.gpuUuid(),
            e);
      }
    }
    for (String gpu : control.present()) {
      if (wanted.containsKey(gpu) || handsOff.contains(gpu)) {
        continue;
      }
      try {
        control.stop(gpu);
        stopped++;
        steps.accept("recovery:mps-daemon-stopped");
      } catch (DriverToolException | RuntimeException e) {
        LOG.error("cannot stop the MPS daemon of GPU {}, which no claim holds", gpu, e);
      }
    }
    if (!wanted.isEmpty() || stopped > 0) {
      LOG.info(
          "MPS daemons: {} adopted, {} started for recorded claims, {} stopped without a claim",
          adopted,
          started,
          stopped);
    }
  }
}
