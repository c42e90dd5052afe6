package dev.gpudra.plugin.sharing;

import dev.gpudra.cdi.Sharing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Where each GPU's MPS control daemon keeps its files: {@code <root>/<gpu-uuid>/{pipe,log,shm}},
 * with {@code root} under the plugin's host directory ({@code
 * /var/lib/kubelet/plugins/gpu.gpudra.dev/mps}), which the plugin's container sees at the same
 * path, so the paths serve both the daemon and the CDI mounts of its clients. Pure apart from
 * {@link #gpus}, which lists the directories present.
 *
 * @param root the directory holding one directory per GPU
 */
public record MpsDirectories(Path root) {

  /** The daemon's pid file name in its pipe directory, as the control daemon writes it. */
  public static final String PID_FILE = "nvidia-cuda-mps-control.pid";

  /** The named pipe through which the front-end reaches the daemon. */
  public static final String CONTROL_PIPE = "control";

  /** Requires an absolute root. */
  public MpsDirectories {
    Objects.requireNonNull(root, "root");
    if (!root.isAbsolute()) {
      throw new IllegalArgumentException("MPS root must be absolute: " + root);
    }
  }

  /** GPU {@code gpuUuid}'s directory. */
  public Path gpu(String gpuUuid) {
    if (!gpuUuid.matches("[A-Za-z0-9][A-Za-z0-9-]*")) {
      throw new IllegalArgumentException("not a GPU UUID: " + gpuUuid);
    }
    return root.resolve(gpuUuid);
  }

  /** {@code CUDA_MPS_PIPE_DIRECTORY} of GPU {@code gpuUuid}'s daemon. */
  public Path pipe(String gpuUuid) {
    return gpu(gpuUuid).resolve("pipe");
  }

  /** {@code CUDA_MPS_LOG_DIRECTORY} of GPU {@code gpuUuid}'s daemon. */
  public Path log(String gpuUuid) {
    return gpu(gpuUuid).resolve("log");
  }

  /** The shared memory GPU {@code gpuUuid}'s clients see at {@code /dev/shm}. */
  public Path shm(String gpuUuid) {
    return gpu(gpuUuid).resolve("shm");
  }

  /** What a client container of GPU {@code gpuUuid}'s daemon mounts (no limits of its own). */
  public Sharing.Mps sharing(String gpuUuid) {
    return new Sharing.Mps(pipe(gpuUuid).toString(), shm(gpuUuid).toString(), null, null);
  }

  /** UUIDs of the GPUs that have a directory here: daemons running, or left by a crash. */
  public List<String> gpus() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(root)) {
      return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("listing " + root + " failed", e);
    }
  }
}
