package dev.gpudra.plugin.sharing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the NVIDIA driver's own binaries from the driver root (the host's driver mounted into the
 * plugin's container), with the driver root's library directories on {@code LD_LIBRARY_PATH} so a
 * tool finds the driver's libraries of its own version. Used for what NVML has no setter for (the
 * compute time slice) and for the MPS control daemon. Thread-safe; each call is one child process,
 * killed after the timeout.
 */
public final class DriverTools {

  /** Where drivers install their binaries, relative to the driver root, searched in order. */
  public static final List<String> BIN_DIRS =
      List.of("usr/bin", "bin", "usr/local/nvidia/bin", "usr/local/bin");

  private final Path driverRoot;
  private final List<String> libraryDirs;
  private final Duration timeout;

  /**
   * @param driverRoot the driver root as this process sees it
   * @param libraryDirs absolute library directories of a driver installation (as on the host)
   * @param timeout how long one invocation may take
   */
  public DriverTools(Path driverRoot, List<String> libraryDirs, Duration timeout) {
    this.driverRoot = Objects.requireNonNull(driverRoot, "driverRoot");
    this.libraryDirs = List.copyOf(libraryDirs);
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /** Where binary {@code name} is under the driver root, if it is. */
  public Optional<Path> find(String name) {
    return BIN_DIRS.stream()
        .map(dir -> driverRoot.resolve(dir).resolve(name))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /**
   * The {@code LD_LIBRARY_PATH} under which the driver's binaries find the driver's libraries: the
   * library directories present under the driver root, joined by colons; empty without any.
   */
  public String libraryPath() {
    return libraryDirs.stream()
        .map(dir -> driverRoot.resolve(dir.replaceFirst("^/+", "")))
        .filter(Files::isDirectory)
        .map(Path::toString)
        .collect(Collectors.joining(":"));
  }

  /**
   * Runs {@code name} with {@code args} and returns what it printed.
   *
   * @throws DriverToolException when the tool is absent, does not finish in time or exits non-zero
   */
  public String run(String name, List<String> args) throws DriverToolException {
    return run(name, args, Map.of(), "");
  }

  /**
   * Runs {@code name} with {@code args}, {@code env} added to the plugin's environment and {@code
   * stdin} as its input, and returns what it printed. A tool that starts a background process (a
   * daemon) must detach it from its output, or this waits for the daemon to end.
   *
   * @throws DriverToolException when the tool is absent, does not finish in time or exits non-zero
   */
  public String run(String name, List<String> args, Map<String, String> env, String stdin)
      throws DriverToolException {
    Path tool =
        find(name)
            .orElseThrow(
                () ->
                    new DriverToolException(
                        name
                            + " not found in the driver root "
                            + driverRoot
                            + " (looked in "
                            + String.join(", ", BIN_DIRS)
                            + ")",
                        null));
    List<String> command = new ArrayList<>();
    command.add(tool.toString());
    command.addAll(args);
    String line = name + " " + String.join(" ", args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    String libs = libraryPath();
    if (!libs.isEmpty()) {
      builder.environment().put("LD_LIBRARY_PATH", libs);
    }
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      try (var in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      // Tools print little; reading after exit cannot block on a full pipe at these sizes, but
      // reading first is what keeps a chatty tool from blocking.
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new DriverToolException(line + " did not finish within " + timeout, null);
      }
      String printed = new String(out, StandardCharsets.UTF_8).strip();
      if (process.exitValue() != 0) {
        throw new DriverToolException(
            line + " failed with exit status " + process.exitValue() + ": " + printed, null);
      }
      return printed;
    } catch (IOException e) {
      throw new DriverToolException(line + " could not be run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DriverToolException(line + " was interrupted", e);
    }
  }
}
