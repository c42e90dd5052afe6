package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.MpsRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MPS control daemons as background processes the plugin starts with the driver's {@code
 * nvidia-cuda-mps-control -d}, one per GPU ({@code CUDA_VISIBLE_DEVICES} = the GPU's UUID), its
 * pipe and log directories from {@link MpsDirectories}; the compute mode, directories and front-end
 * commands are {@link MpsGpuSetup}'s (whose invariant this keeps).
 *
 * <p>The daemon is a child of whatever runs the plugin: in a container it lives and dies with the
 * plugin's container, so this form serves the emulated nodes of the tests and plugins run outside a
 * container; in a cluster, {@link PodMpsControl} runs daemons that outlive the plugin. Calls for
 * one GPU must not overlap (the plugin's effects run one at a time); the start counters are
 * thread-safe.
 */
public final class ProcessMpsControl implements MpsControl {

  /** The driver's MPS control program. */
  public static final String CONTROL = MpsGpuSetup.CONTROL;

  private static final Logger LOG = LoggerFactory.getLogger(ProcessMpsControl.class);
  // How long after its start a daemon may take to write its pid file.
  private static final Duration PID_FILE_SLACK = Duration.ofSeconds(10);

  private final MpsGpuSetup setup;
  private final MpsDirectories dirs;
  private final Duration quitWait;
  private final Map<String, Integer> starts = new ConcurrentHashMap<>();

  /**
   * @param tools runs the driver's binaries
   * @param dirs where the daemons keep their files
   * @param quitWait how long a daemon may take to exit after {@code quit} before it is killed
   */
  public ProcessMpsControl(DriverTools tools, MpsDirectories dirs, Duration quitWait) {
    this.setup = new MpsGpuSetup(tools, dirs);
    this.dirs = dirs;
    this.quitWait = Objects.requireNonNull(quitWait, "quitWait");
  }

  @Override
  public boolean ensure(MpsRecord daemon) throws DriverToolException {
    String gpu = daemon.gpuUuid();
    if (running(gpu)) {
      return false;
    }
    try {
      setup.prepare(gpu);
      setup.tools().run(CONTROL, List.of("-d"), setup.daemonEnv(gpu), "");
      starts.merge(gpu, 1, Integer::sum);
      // Defaults apply to the next server the daemon starts, which is at its first client: now.
      setup.setDefaults(daemon);
      LOG.info(
          "MPS control daemon of GPU {} started (pid {}), pipe {}",
          gpu,
          pid(gpu).orElse(-1),
          dirs.pipe(gpu));
      return true;
    } catch (DriverToolException | RuntimeException e) {
      throw MpsGpuSetup.undone(this, gpu, "starting the MPS daemon of GPU " + gpu, e);
    }
  }

  @Override
  public void stop(String gpu) throws DriverToolException {
    if (!setup.hasDirectory(gpu)) {
      return;
    }
    OptionalLong pid = pid(gpu);
    if (running(gpu)) {
      try {
        setup.send(gpu, "quit\n");
      } catch (DriverToolException e) {
        LOG.warn("quit of the MPS daemon of GPU {} failed, killing it: {}", gpu, e.getMessage());
      }
    }
    if (pid.isPresent() && !awaitExit(pid.getAsLong(), quitWait)) {
      ProcessHandle.of(pid.getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
      if (!awaitExit(pid.getAsLong(), quitWait)) {
        throw new DriverToolException(
            "the MPS control daemon of GPU "
                + gpu
                + " (pid "
                + pid.getAsLong()
                + ") would not exit",
            null);
      }
    }
    setup.restore(gpu);
    LOG.info("MPS control daemon of GPU {} stopped; compute mode DEFAULT", gpu);
  }

  @Override
  public boolean running(String gpu) {
    return pid(gpu).isPresent() && setup.controlPipe(gpu);
  }

  @Override
  public List<String> present() {
    return dirs.gpus();
  }

  @Override
  public int starts(String gpu) {
    return starts.getOrDefault(gpu, 0);
  }

  /**
   * The live daemon process the pid file names. A pid file outlives its process (a reboot, a new
   * PID namespace after the plugin's container restarted), and its number may then belong to
   * another process: the process counts only if it started before the pid file was written (plus
   * {@link #PID_FILE_SLACK} for the daemon's own start-up), and never this process or PID 1, so
   * that {@link #stop} never signals a process that is not the daemon.
   */
  private OptionalLong pid(String gpu) {
    Path file = dirs.pipe(gpu).resolve(MpsDirectories.PID_FILE);
    try {
      long pid = Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).strip());
      java.time.Instant written = Files.getLastModifiedTime(file).toInstant();
      boolean ours =
          pid > 1
              && pid != ProcessHandle.current().pid()
              && alive(pid)
              && ProcessHandle.of(pid)
                  .flatMap(p -> p.info().startInstant())
                  .map(started -> !started.isAfter(written.plus(PID_FILE_SLACK)))
                  .orElse(false);
      return ours ? OptionalLong.of(pid) : OptionalLong.empty();
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    } catch (IOException | NumberFormatException e) {
      LOG.warn("unreadable MPS pid file of GPU {}: {}", gpu, e.getMessage());
      return OptionalLong.empty();
    }
  }

  /** Whether process {@code pid} runs; a zombie (exited, not yet reaped) does not. */
  static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean awaitExit(long pid, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (alive(pid)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !alive(pid);
      }
    }
    return true;
  }
}
