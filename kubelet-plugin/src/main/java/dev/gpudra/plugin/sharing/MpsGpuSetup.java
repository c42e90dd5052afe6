package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.MpsRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * What every form of MPS control daemon needs around it on its GPU, whatever runs the daemon
 * ({@link ProcessMpsControl}, {@link PodMpsControl}): the GPU's compute mode (through the driver's
 * {@code nvidia-smi}), the daemon's directories ({@link MpsDirectories}), the daemon's environment,
 * and commands sent through the driver's front-end ({@code echo <command> |
 * nvidia-cuda-mps-control}), which reaches the daemon through the pipe directory alone.
 *
 * <p>Invariant, kept across a crash at any point: while a GPU's compute mode may be {@code
 * EXCLUSIVE_PROCESS} because of a daemon, the GPU's directory exists. {@link #prepare} makes the
 * directory before it sets the mode; {@link #restore} restores the mode before it removes the
 * directory. So the directory is the record of what to undo, and a GPU without one needs nothing.
 * Stateless and thread-safe; calls for one GPU must not overlap.
 */
public final class MpsGpuSetup {

  /** The driver's MPS control program. */
  public static final String CONTROL = "nvidia-cuda-mps-control";

  private final DriverTools tools;
  private final MpsDirectories dirs;

  /**
   * @param tools runs the driver's binaries
   * @param dirs where the daemons keep their files
   */
  public MpsGpuSetup(DriverTools tools, MpsDirectories dirs) {
    this.tools = Objects.requireNonNull(tools, "tools");
    this.dirs = Objects.requireNonNull(dirs, "dirs");
  }

  /** The daemons' directories. */
  public MpsDirectories dirs() {
    return dirs;
  }

  /** The driver's binaries. */
  public DriverTools tools() {
    return tools;
  }

  /**
   * Readies GPU {@code gpu} for a new daemon: its directory, compute mode {@code
   * EXCLUSIVE_PROCESS}, and empty pipe, log and shared-memory directories (a daemon that died
   * leaves its pid file and pipes; a new one starts clean).
   */
  public void prepare(String gpu) throws DriverToolException {
    try {
      // The directory first: it records that the mode below may need restoring.
      Files.createDirectories(dirs.gpu(gpu));
      tools.run("nvidia-smi", List.of("-i", gpu, "-c", "EXCLUSIVE_PROCESS"));
      deleteTree(dirs.pipe(gpu));
      Files.createDirectories(dirs.pipe(gpu));
      Files.createDirectories(dirs.log(gpu));
      Files.createDirectories(dirs.shm(gpu));
    } catch (IOException | UncheckedIOException e) {
      throw new DriverToolException(
          "preparing the MPS directories of GPU " + gpu + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Restores GPU {@code gpu} once its daemon is gone: compute mode {@code DEFAULT}, then its
   * directory removed. Does nothing for a GPU without a directory (the invariant above).
   */
  public void restore(String gpu) throws DriverToolException {
    Path dir = dirs.gpu(gpu);
    if (!Files.isDirectory(dir)) {
      return;
    }
    tools.run("nvidia-smi", List.of("-i", gpu, "-c", "DEFAULT"));
    try {
      deleteTree(dir);
    } catch (IOException e) {
      throw new DriverToolException("removing " + dir + " failed: " + e.getMessage(), e);
    }
  }

  /** Whether GPU {@code gpu} has a directory: a daemon may run, or left something to undo. */
  public boolean hasDirectory(String gpu) {
    return Files.isDirectory(dirs.gpu(gpu));
  }

  /** Whether GPU {@code gpu}'s daemon made its control pipe. */
  public boolean controlPipe(String gpu) {
    return Files.exists(dirs.pipe(gpu).resolve(MpsDirectories.CONTROL_PIPE));
  }

  /** Sends {@code commands} (lines) to GPU {@code gpu}'s daemon; returns what it answered. */
  public String send(String gpu, String commands) throws DriverToolException {
    return tools.run(CONTROL, List.of(), daemonEnv(gpu), commands);
  }

  /** Sets {@code daemon}'s defaults, if it has any, before its first client connects. */
  public void setDefaults(MpsRecord daemon) throws DriverToolException {
    String commands = defaults(daemon);
    if (!commands.isEmpty()) {
      send(daemon.gpuUuid(), commands);
    }
  }

  /**
   * The environment of GPU {@code gpu}'s daemon and of the front-end reaching it: its pipe and log
   * directories, and the GPU it serves.
   */
  public Map<String, String> daemonEnv(String gpu) {
    return Map.of(
        "CUDA_MPS_PIPE_DIRECTORY", dirs.pipe(gpu).toString(),
        "CUDA_MPS_LOG_DIRECTORY", dirs.log(gpu).toString(),
        "CUDA_VISIBLE_DEVICES", gpu);
  }

  /**
   * What a failed {@link MpsControl#ensure} throws, after {@code control} stopped what it started
   * on GPU {@code gpu}: {@code cause} itself when the driver refused, else a {@link
   * DriverToolException} saying {@code what} failed; a failure of the stop is added as suppressed.
   */
  static DriverToolException undone(MpsControl control, String gpu, String what, Exception cause) {
    DriverToolException failure =
        cause instanceof DriverToolException tool
            ? tool
            : new DriverToolException(what + " failed: " + cause.getMessage(), cause);
    try {
      control.stop(gpu);
    } catch (DriverToolException | RuntimeException again) {
      failure.addSuppressed(again);
    }
    return failure;
  }

  /** The front-end commands setting {@code daemon}'s defaults, one a line; empty without any. */
  static String defaults(MpsRecord daemon) {
    StringBuilder commands = new StringBuilder();
    if (daemon.defaultActiveThreadPercentage() != null) {
      commands
          .append("set_default_active_thread_percentage ")
          .append(daemon.defaultActiveThreadPercentage())
          .append('\n');
    }
    if (daemon.defaultPinnedMemoryLimitMib() != null) {
      commands
          .append("set_default_device_pinned_mem_limit ")
          .append(daemon.gpuUuid())
          .append(' ')
          .append(daemon.defaultPinnedMemoryLimitMib())
          .append("M\n");
    }
    return commands.toString();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (DirectoryNotEmptyException e) {
          throw new IOException(p + " is not empty", e);
        }
      }
    }
  }
}
