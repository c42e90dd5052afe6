package dev.gpudra.nvml;

import dev.gpudra.testkit.nvml.MockNvml;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Opens NVML sessions on the mock library with a given profile, inside the test JVM. */
final class MockSession {

  private MockSession() {}

  /** The mock library, loaded the way the plugin loads NVML: through the loader. */
  static NvmlLibrary library() {
    return new NvmlLibraryLoader(Path.of("/"), Optional.of(MockNvml.library())).load();
  }

  /**
   * Opens a session on a fresh node with {@code profile}. The previous session must be closed: the
   * mock reads its settings at the first {@code nvmlInit}.
   */
  static NvmlSession open(String profile, Path stateDir) {
    return open(MockNvml.env(profile, stateDir));
  }

  /** Opens a session with the given mock settings. */
  static NvmlSession open(Map<String, String> env) {
    MockNvml.applyToThisProcess(env);
    return NvmlSession.open(library());
  }
}
