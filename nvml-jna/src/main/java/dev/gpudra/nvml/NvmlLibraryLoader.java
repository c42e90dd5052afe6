package dev.gpudra.nvml;

import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds and loads {@code libnvidia-ml.so.1}.
 *
 * <p>On a GPU node the driver's libraries live under a driver root: {@code /} when the driver is
 * installed on the host, {@code /run/nvidia/driver} when the GPU operator's driver container
 * provides it, and the plugin sees the host through a mount. An explicit library file wins over the
 * driver root; that is how fake-GPU nodes load the mock library.
 *
 * @param driverRoot directory the driver's files are installed under
 * @param libraryFile explicit library file, if any
 */
public record NvmlLibraryLoader(Path driverRoot, Optional<Path> libraryFile) {

  /** The soname NVML is loaded by. */
  public static final String LIBRARY_FILE = "libnvidia-ml.so.1";

  /** Environment variable naming the driver root. */
  public static final String DRIVER_ROOT_ENV = "GPUDRA_DRIVER_ROOT";

  /** Environment variable naming the library file directly. */
  public static final String LIBRARY_ENV = "GPUDRA_NVML_LIBRARY";

  /** Library directories below the driver root, in the order distributions use them. */
  private static final List<String> LIBRARY_DIRS =
      List.of(
          "usr/lib64",
          "usr/lib/x86_64-linux-gnu",
          "usr/lib/aarch64-linux-gnu",
          "lib64",
          "lib/x86_64-linux-gnu",
          "lib/aarch64-linux-gnu",
          "usr/lib",
          "lib");

  public NvmlLibraryLoader {
    driverRoot = driverRoot.toAbsolutePath().normalize();
    libraryFile = libraryFile.map(p -> p.toAbsolutePath().normalize());
  }

  /**
   * Builds the loader from {@link #DRIVER_ROOT_ENV} (default {@code /}) and {@link #LIBRARY_ENV}.
   */
  public static NvmlLibraryLoader fromEnv(Map<String, String> env) {
    String root = env.getOrDefault(DRIVER_ROOT_ENV, "");
    String library = env.getOrDefault(LIBRARY_ENV, "");
    return new NvmlLibraryLoader(
        Path.of(root.isBlank() ? "/" : root),
        library.isBlank() ? Optional.empty() : Optional.of(Path.of(library)));
  }

  /** The files that would be tried, in order. */
  public List<Path> candidates() {
    if (libraryFile.isPresent()) {
      return List.of(libraryFile.get());
    }
    List<Path> candidates = new ArrayList<>();
    for (String dir : LIBRARY_DIRS) {
      candidates.add(driverRoot.resolve(dir).resolve(LIBRARY_FILE));
    }
    return List.copyOf(candidates);
  }

  /**
   * Loads the first candidate that exists.
   *
   * @throws NvmlLibraryNotFoundException naming every path searched and the settings that change
   *     them
   */
  public NvmlLibrary load() {
    List<Path> candidates = candidates();
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        try {
          return Native.load(candidate.toString(), NvmlLibrary.class);
        } catch (UnsatisfiedLinkError e) {
          throw new NvmlLibraryNotFoundException(
              candidates, "loading " + candidate + " failed: " + e.getMessage());
        }
      }
    }
    throw new NvmlLibraryNotFoundException(candidates, "");
  }
}
