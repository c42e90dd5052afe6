package dev.gpudra.testkit.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The mock driver tools ({@code testkit/src/mock/tools}): programs standing in for the NVIDIA
 * driver's own binaries on a fake node, which record what the plugin asked of them in a state file
 * of the node's own so that tests assert the GPU's settings, not the plugin's intentions.
 *
 * <p>{@code nvidia-smi}: compute mode ({@code -i <uuid> -c <mode>}) and time slice ({@code
 * compute-policy -i <uuid> --set-timeslice <0..3>}). {@code nvidia-cuda-mps-control}: the MPS
 * control daemon ({@code -d}, a process with its pid file in {@code CUDA_MPS_PIPE_DIRECTORY} that
 * records the clients writing {@code gpudra_mock_client <uid> <thread %> <mem limit>} to its {@code
 * control} fifo, as a container of the daemon's pipe directory can) and its front-end's commands
 * ({@code quit}, {@code set_default_active_thread_percentage}, {@code
 * set_default_device_pinned_mem_limit}...), keyed by the daemon's {@code CUDA_VISIBLE_DEVICES}.
 */
public final class MockTools {

  /** Where the driver installs its binaries, relative to the driver root. */
  public static final String BIN_DIR = "usr/bin";

  /** Names of the mock tools, as the driver names its binaries. */
  public static final List<String> NAMES = List.of("nvidia-smi", "nvidia-cuda-mps-control");

  /** The state file's variable; without it, the mock NVML state file's path plus {@code .tools}. */
  public static final String STATE_ENV = "GPUDRA_MOCK_TOOLS_STATE";

  /** A word that makes every invocation containing it fail (an unsupported GPU). */
  public static final String FAIL_ENV = "GPUDRA_MOCK_SMI_FAIL";

  /**
   * A word that makes every MPS control invocation (arguments, command or GPUs) containing it fail.
   */
  public static final String MPS_FAIL_ENV = "GPUDRA_MOCK_MPS_FAIL";

  private MockTools() {}

  /** Copies the tools into {@code driverRoot}'s binary directory, executable. */
  public static void install(Path driverRoot) throws IOException {
    Path bin = Files.createDirectories(driverRoot.resolve(BIN_DIR));
    for (String name : NAMES) {
      try (InputStream in =
          MockTools.class.getClassLoader().getResourceAsStream("gpudra-mock-tools/" + name)) {
        Objects.requireNonNull(in, "mock tool " + name + " is missing from the test kit");
        Path target = bin.resolve(name);
        Files.write(target, in.readAllBytes());
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
  }

  /**
   * What the tools hold for each GPU.
   *
   * @param timeSlices time-slice setting (0 Default, 1 Short, 2 Medium, 3 Long) by GPU UUID; a GPU
   *     never set is absent
   * @param computeModes compute mode name by GPU UUID; a GPU never set is absent
   * @param mps the MPS control daemons the mock started and that have not quit, by the GPUs they
   *     serve ({@code CUDA_VISIBLE_DEVICES}); a daemon killed without {@code quit} stays listed,
   *     {@link MpsDaemon#running} tells
   */
  public record State(
      Map<String, Integer> timeSlices,
      Map<String, String> computeModes,
      Map<String, MpsDaemon> mps) {
    /** Copies. */
    public State {
      timeSlices = Map.copyOf(timeSlices);
      computeModes = Map.copyOf(computeModes);
      mps = Map.copyOf(mps);
    }

    /** GPU {@code uuid}'s time slice; 0 (Default) when never set. */
    public int timeSlice(String uuid) {
      return timeSlices.getOrDefault(uuid, 0);
    }

    /** GPU {@code uuid}'s compute mode; {@code DEFAULT} when never set. */
    public String computeMode(String uuid) {
      return computeModes.getOrDefault(uuid, "DEFAULT");
    }

    /** The daemons whose process runs, by the GPUs they serve. */
    public Map<String, MpsDaemon> runningDaemons() {
      Map<String, MpsDaemon> out = new TreeMap<>();
      mps.forEach(
          (gpus, daemon) -> {
            if (daemon.running()) {
              out.put(gpus, daemon);
            }
          });
      return out;
    }
  }

  /**
   * One MPS control daemon of the mock, as its state lines record it.
   *
   * @param pid the daemon's process
   * @param defaultActiveThreadPercentage set by {@code set_default_active_thread_percentage}, or
   *     null
   * @param defaultPinnedMemoryLimit {@code <dev>=<N>M|G} set by {@code
   *     set_default_device_pinned_mem_limit}, or null
   * @param clients clients that connected ({@code gpudra_mock_client})
   */
  public record MpsDaemon(
      long pid,
      Integer defaultActiveThreadPercentage,
      String defaultPinnedMemoryLimit,
      int clients) {

    /** Whether its process runs (a zombie does not). */
    public boolean running() {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        return state != 'Z' && state != 'X';
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }

    /** Kills the daemon's process, as a crash of whatever runs it would. */
    public void kill() {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** Kills every daemon still running in {@code file}'s state: a test's clean-up. */
  public static void killDaemons(Path file) {
    read(file).runningDaemons().values().forEach(MpsDaemon::kill);
  }

  /** Reads the state file {@code file}; an absent file is a node nobody changed. */
  public static State read(Path file) {
    Map<String, Integer> slices = new TreeMap<>();
    Map<String, String> modes = new TreeMap<>();
    Map<String, Map<String, String>> daemons = new TreeMap<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      lines = List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String line : lines) {
      String[] f = line.trim().split(" ");
      if (f.length != 3) {
        throw new IllegalStateException("unexpected line in " + file + ": " + line);
      }
      switch (f[0]) {
        case "timeslice" -> slices.put(f[1], Integer.parseInt(f[2]));
        case "compute-mode" -> modes.put(f[1], f[2]);
        case "mps-daemon",
            "mps-default-active-thread-percentage",
            "mps-default-pinned-mem-limit",
            "mps-clients" ->
            daemons.computeIfAbsent(f[1], k -> new TreeMap<>()).put(f[0], f[2]);
        default -> throw new IllegalStateException("unexpected line in " + file + ": " + line);
      }
    }
    Map<String, MpsDaemon> mps = new TreeMap<>();
    daemons.forEach(
        (gpus, keys) -> {
          if (keys.containsKey("mps-daemon")) {
            String percentage = keys.get("mps-default-active-thread-percentage");
            mps.put(
                gpus,
                new MpsDaemon(
                    Long.parseLong(keys.get("mps-daemon")),
                    percentage == null ? null : Integer.valueOf(percentage),
                    keys.get("mps-default-pinned-mem-limit"),
                    Integer.parseInt(keys.getOrDefault("mps-clients", "0"))));
          }
        });
    return new State(slices, modes, mps);
  }

  /** The invocations the tools accepted, oldest first, from the log beside {@code file}. */
  public static List<String> log(Path file) {
    try {
      return Files.readAllLines(file.resolveSibling(file.getFileName() + ".log"));
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
