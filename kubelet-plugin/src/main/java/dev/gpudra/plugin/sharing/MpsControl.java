package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.MpsRecord;
import java.util.List;

/**
 * Runs the MPS control daemons of this node, one per GPU, in some form (a process the plugin
 * starts, {@link ProcessMpsControl}; a pod per GPU could implement the same). What the daemon needs
 * around it belongs here too: the GPU's compute mode ({@code EXCLUSIVE_PROCESS} while the daemon
 * runs, {@code DEFAULT} after) and its directories. Callers serialise calls for one GPU.
 */
public interface MpsControl {

  /**
   * Makes GPU {@code daemon.gpuUuid()}'s daemon run with {@code daemon}'s defaults: a live one is
   * adopted as it is; otherwise the compute mode is set, the directories made, the daemon started
   * and its defaults set before any client can connect. Idempotent.
   *
   * @return true when this call started the daemon
   * @throws DriverToolException when the driver refused; what this call started is stopped again
   */
  boolean ensure(MpsRecord daemon) throws DriverToolException;

  /**
   * Stops GPU {@code gpuUuid}'s daemon ({@code quit}, waiting for it to exit), removes its
   * directories and restores compute mode {@code DEFAULT}. Idempotent: a daemon already gone, or
   * never started, only has its leftovers removed.
   *
   * @throws DriverToolException when the daemon would not stop or the mode not be restored
   */
  void stop(String gpuUuid) throws DriverToolException;

  /** Whether GPU {@code gpuUuid}'s daemon runs: its pid file names a live process. */
  boolean running(String gpuUuid);

  /** GPUs with daemon state on the node (running, or left by a crash), for start-up recovery. */
  List<String> present();

  /** How many times this plugin process started GPU {@code gpuUuid}'s daemon (restarts count). */
  int starts(String gpuUuid);
}
