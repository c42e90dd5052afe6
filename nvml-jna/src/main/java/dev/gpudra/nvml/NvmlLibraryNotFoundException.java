package dev.gpudra.nvml;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** {@code libnvidia-ml.so.1} was not found or could not be loaded from any searched path. */
public class NvmlLibraryNotFoundException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public NvmlLibraryNotFoundException(List<Path> searched, String cause) {
    super(
        NvmlLibraryLoader.LIBRARY_FILE
            + " not found (searched: "
            + searched.stream().map(Path::toString).collect(Collectors.joining(", "))
            + (cause.isEmpty() ? "" : "; " + cause)
            + "). Set "
            + NvmlLibraryLoader.DRIVER_ROOT_ENV
            + " to the root the NVIDIA driver is installed under, or "
            + NvmlLibraryLoader.LIBRARY_ENV
            + " to the library file.");
  }
}
