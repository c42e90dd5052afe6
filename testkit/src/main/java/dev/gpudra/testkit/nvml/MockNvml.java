package dev.gpudra.testkit.nvml;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Where the mock NVML library is ({@link MockNvmlFiles}, from this kit's class path), and the
 * settings that select what it serves.
 *
 * <p>The library reads its environment at every first {@code nvmlInit} (reference count 0 to 1), so
 * a test either starts a process with {@link #env} or changes its own environment between NVML
 * sessions.
 */
public final class MockNvml {
  /** Built-in profile or path of a profile file. */
  public static final String PROFILE_ENV = "GPUDRA_MOCK_NVML_PROFILE";

  /** MIG state file shared by all processes that use the same value. */
  public static final String STATE_ENV = "GPUDRA_MOCK_NVML_STATE";

  /** NVML error name that nvmlInit returns, e.g. {@code NVML_ERROR_DRIVER_NOT_LOADED}. */
  public static final String FAIL_INIT_ENV = "GPUDRA_MOCK_NVML_FAIL_INIT";

  /** NVML error name that {@code nvmlEventSetCreate} returns, as a driver without events would. */
  public static final String FAIL_EVENTS_ENV = "GPUDRA_MOCK_NVML_FAIL_EVENTS";

  /**
   * The node profiles the library ships (the {@code catalog} it also ships only feeds includes).
   */
  public static final List<String> BUILT_IN_PROFILES =
      List.of("a100-8x", "h100-8x", "l4-1x", "mixed");

  /** The C library's environment, which the mock library reads (System.getenv() is a copy). */
  private interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int setenv(String name, String value, int overwrite);

    int unsetenv(String name);

    String getenv(String name);
  }

  private MockNvml() {}

  /**
   * The directory holding {@code libnvidia-ml.so.1} and its {@code profiles/}, for {@code
   * jna.library.path} or {@code LD_LIBRARY_PATH}.
   */
  public static Path libraryDir() {
    return MockNvmlFiles.dir();
  }

  /** The library itself. */
  public static Path library() {
    return libraryDir().resolve("libnvidia-ml.so.1");
  }

  /** The directory holding the real {@code nvml.h} the library was compiled against. */
  public static Path includeDir() {
    return libraryDir().resolve("include");
  }

  /** Directory of the built-in profiles, next to the library. */
  public static Path builtInDir() {
    return libraryDir().resolve("profiles");
  }

  /** The file of a built-in profile. */
  public static Path builtInProfile(String name) {
    return builtInDir().resolve(name + ".profile");
  }

  /** Parses a built-in profile into what the library will serve. */
  public static MockProfile load(String name) throws IOException {
    return MockProfile.load(builtInProfile(name), builtInDir());
  }

  /**
   * Environment for a process that should see {@code profile} on a node of its own: the profile and
   * a state file in {@code stateDir} that does not exist yet, so the profile's initial MIG
   * instances seed it. Processes given the same map share one node.
   *
   * @param profile built-in name or path of a profile file
   */
  public static Map<String, String> env(String profile, Path stateDir) {
    Path state = stateDir.resolve("mock-nvml-" + UUID.randomUUID() + ".state");
    return Map.of(
        PROFILE_ENV,
        profile,
        STATE_ENV,
        state.toString(),
        "LD_LIBRARY_PATH",
        libraryDir().toString());
  }

  /**
   * Sets the mock's variables from {@code env} in this process's C environment, so that the next
   * first {@code nvmlInit} through JNA in this JVM serves that profile. Other keys (such as {@code
   * LD_LIBRARY_PATH}, which only matters at process start) are ignored. Call it while no NVML
   * session is open: {@code setenv} is not safe against a concurrent {@code getenv}.
   */
  public static void applyToThisProcess(Map<String, String> env) {
    clearFromThisProcess();
    for (String key : List.of(PROFILE_ENV, STATE_ENV, FAIL_INIT_ENV, FAIL_EVENTS_ENV)) {
      String value = env.get(key);
      if (value != null && LibC.INSTANCE.setenv(key, value, 1) != 0) {
        throw new IllegalStateException("setenv(" + key + ") failed");
      }
    }
  }

  /** Removes the mock's variables from this process's C environment. */
  public static void clearFromThisProcess() {
    for (String key : List.of(PROFILE_ENV, STATE_ENV, FAIL_INIT_ENV, FAIL_EVENTS_ENV)) {
      LibC.INSTANCE.unsetenv(key);
    }
  }

  /** A variable as the mock library sees it in this process. */
  public static Optional<String> nativeEnv(String name) {
    return Optional.ofNullable(LibC.INSTANCE.getenv(name));
  }
}
