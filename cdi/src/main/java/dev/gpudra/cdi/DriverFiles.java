package dev.gpudra.cdi;

import dev.gpudra.cdi.spec.ContainerPaths;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The NVIDIA driver's user-space files found on a node, as paths relative to its driver root.
 *
 * <p>Every path is absolute as seen from inside the driver root (e.g. {@code
 * /usr/lib/x86_64-linux-gnu/libcuda.so.580.95.05}); the file on the host is {@code hostDriverRoot}
 * joined with it, and containers see it at the path itself.
 *
 * @param hostDriverRoot where the driver root is on the host ({@code /}, or e.g. {@code
 *     /run/nvidia/driver} for a containerised driver)
 * @param driverVersion the driver version, e.g. {@code 580.95.05}
 * @param libraries driver libraries ({@code *.so.<driverVersion>})
 * @param binaries driver utilities ({@code nvidia-smi} ...)
 * @param firmware GSP firmware files
 * @param ipcSockets daemon sockets ({@code nvidia-persistenced}, {@code nvidia-fabricmanager})
 * @param modesetPresent whether {@code /dev/nvidia-modeset} exists
 */
public record DriverFiles(
    String hostDriverRoot,
    String driverVersion,
    List<String> libraries,
    List<String> binaries,
    List<String> firmware,
    List<String> ipcSockets,
    boolean modesetPresent) {

  /** A driver version as NVIDIA writes it: dot-separated numbers. */
  public static final Pattern DRIVER_VERSION = Pattern.compile("[0-9]+(\\.[0-9]+){1,3}");

  /** Validates every path and the version; copies the lists. */
  public DriverFiles {
    ContainerPaths.requireAbsolute(hostDriverRoot, "hostDriverRoot");
    if (driverVersion == null || !DRIVER_VERSION.matcher(driverVersion).matches()) {
      throw new IllegalArgumentException("invalid driver version " + CdiNames.quote(driverVersion));
    }
    libraries = requirePaths(libraries, "driver library");
    binaries = requirePaths(binaries, "driver binary");
    firmware = requirePaths(firmware, "firmware file");
    ipcSockets = requirePaths(ipcSockets, "IPC socket");
  }

  private static List<String> requirePaths(List<String> paths, String what) {
    List<String> copy = List.copyOf(paths);
    copy.forEach(p -> ContainerPaths.requireAbsolute(p, what));
    return copy;
  }
}
