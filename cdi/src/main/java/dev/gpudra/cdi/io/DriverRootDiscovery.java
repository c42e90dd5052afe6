package dev.gpudra.cdi.io;

import dev.gpudra.cdi.DeviceMajors;
import dev.gpudra.cdi.DriverFiles;
import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.NodeDriverInfo;
import dev.gpudra.cdi.ProcDevices;
import dev.gpudra.cdi.spec.ContainerPaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the NVIDIA driver's files under a driver root and reads the kernel's device numbers. Reads
 * only; the one other class of this module that touches the filesystem is {@link CdiSpecWriter}.
 *
 * <p>Mirrors what NVIDIA's container toolkit looks for: libraries named {@code
 * *.so.<driverVersion>} in the usual library folders (and their {@code vdpau} subfolders), the
 * driver utilities in the usual binary folders, GSP firmware under {@code
 * /lib/firmware/nvidia/<version>/}, and the persistence and fabric manager sockets. Symbolic links
 * are followed only when they stay inside the driver root, so the host's own files are never
 * mistaken for the driver's.
 */
public final class DriverRootDiscovery {
  /** Library folders searched, in order; the first folder holding a file name wins. */
  public static final List<String> DEFAULT_LIBRARY_DIRS =
      List.of(
          "/usr/lib64",
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib/aarch64-linux-gnu",
          "/lib64",
          "/lib/x86_64-linux-gnu",
          "/lib/aarch64-linux-gnu");

  /** Driver utilities containers get, as the container toolkit mounts them. */
  public static final List<String> BINARIES =
      List.of(
          "nvidia-smi",
          "nvidia-debugdump",
          "nvidia-persistenced",
          "nvidia-cuda-mps-control",
          "nvidia-cuda-mps-server");

  static final List<String> BINARY_DIRS =
      List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin");

  static final List<String> FIRMWARE_DIRS = List.of("/lib/firmware", "/usr/lib/firmware");

  static final List<String> IPC_SOCKETS =
      List.of(
          "/run/nvidia-persistenced/socket",
          "/var/run/nvidia-persistenced/socket",
          "/run/nvidia-fabricmanager/socket",
          "/var/run/nvidia-fabricmanager/socket");

  /**
   * Where discovery looks.
   *
   * @param driverRoot the driver root as this process sees it (e.g. {@code /driver-root})
   * @param hostDriverRoot the same directory as the host sees it (e.g. {@code /})
   * @param devRoot the directory holding {@code dev/} as this process sees it
   * @param procRoot the directory holding {@code devices} and {@code driver/} (e.g. {@code /proc})
   * @param libraryDirs library folders inside the driver root, in search order
   */
  public record Config(
      Path driverRoot,
      String hostDriverRoot,
      Path devRoot,
      Path procRoot,
      List<String> libraryDirs) {
    /** Validates and copies. */
    public Config {
      if (driverRoot == null || devRoot == null || procRoot == null) {
        throw new IllegalArgumentException("driverRoot, devRoot and procRoot are required");
      }
      ContainerPaths.requireAbsolute(hostDriverRoot, "hostDriverRoot");
      libraryDirs = List.copyOf(libraryDirs);
      libraryDirs.forEach(d -> ContainerPaths.requireAbsolute(d, "library folder"));
    }

    /** A driver installed on the host itself, seen from the host. */
    public static Config hostDriver() {
      return new Config(Path.of("/"), "/", Path.of("/"), Path.of("/proc"), DEFAULT_LIBRARY_DIRS);
    }
  }

  private final Config config;
  private final Path root;

  /**
   * @param config where to look
   */
  public DriverRootDiscovery(Config config) {
    this.config = config;
    this.root = config.driverRoot().toAbsolutePath().normalize();
  }

  /**
   * Discovers the node's driver files, device majors and MIG capability minors.
   *
   * @param driverVersion the version NVML reports, e.g. {@code 580.95.05}
   * @throws IllegalStateException when the driver's kernel modules are not loaded or no driver
   *     library of that version exists: a spec written then would give containers no usable GPU
   * @throws UncheckedIOException when reading fails
   */
  public NodeDriverInfo discover(String driverVersion) {
    if (driverVersion == null || !DriverFiles.DRIVER_VERSION.matcher(driverVersion).matches()) {
      throw new IllegalArgumentException("invalid driver version " + driverVersion);
    }
    DeviceMajors majors =
        DeviceMajors.fromCharacterDevices(
            ProcDevices.characterDevices(read(config.procRoot().resolve("devices"))));
    Path migMinorsFile = config.procRoot().resolve("driver/nvidia-caps/mig-minors");
    MigMinors migMinors =
        Files.isRegularFile(migMinorsFile) ? MigMinors.parse(read(migMinorsFile)) : MigMinors.NONE;

    List<String> libraries = libraries(driverVersion);
    if (libraries.isEmpty()) {
      throw new IllegalStateException(
          "no NVIDIA driver library of version "
              + driverVersion
              + " under "
              + root
              + " in "
              + config.libraryDirs());
    }
    DriverFiles files =
        new DriverFiles(
            config.hostDriverRoot(),
            driverVersion,
            libraries,
            binaries(),
            firmware(driverVersion),
            ipcSockets(),
            Files.exists(
                config.devRoot().resolve("dev/nvidia-modeset"), LinkOption.NOFOLLOW_LINKS));
    return new NodeDriverInfo(files, majors, migMinors);
  }

  private List<String> libraries(String driverVersion) {
    String suffix = ".so." + driverVersion;
    List<String> found = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<String> dirs = new ArrayList<>();
    for (String dir : config.libraryDirs()) {
      dirs.add(dir);
      dirs.add(dir + "/vdpau");
    }
    Set<Path> seenDirs = new HashSet<>();
    for (String dir : dirs) {
      Path resolved = inside(dir);
      // /lib is often a link to /usr/lib: list each real folder once.
      if (resolved == null || !Files.isDirectory(resolved) || !seenDirs.add(resolved)) {
        continue;
      }
      for (String name : list(resolved)) {
        if (name.startsWith("lib") && name.endsWith(suffix) && isFileInside(dir + "/" + name)) {
          if (names.add(dir.endsWith("/vdpau") ? "vdpau/" + name : name)) {
            found.add(dir + "/" + name);
          }
        }
      }
    }
    return found;
  }

  private List<String> binaries() {
    List<String> found = new ArrayList<>();
    for (String binary : BINARIES) {
      for (String dir : BINARY_DIRS) {
        String path = dir + "/" + binary;
        if (isFileInside(path)) {
          found.add(path);
          break;
        }
      }
    }
    return found;
  }

  private List<String> firmware(String driverVersion) {
    List<String> found = new ArrayList<>();
    for (String base : FIRMWARE_DIRS) {
      String dir = base + "/nvidia/" + driverVersion;
      Path resolved = inside(dir);
      if (resolved == null || !Files.isDirectory(resolved)) {
        continue;
      }
      for (String name : list(resolved)) {
        if (name.startsWith("gsp") && name.endsWith(".bin") && isFileInside(dir + "/" + name)) {
          found.add(dir + "/" + name);
        }
      }
      if (!found.isEmpty()) {
        break;
      }
    }
    return found;
  }

  private List<String> ipcSockets() {
    List<String> found = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    for (String socket : IPC_SOCKETS) {
      Path resolved = inside(socket);
      // /var/run is normally a link to /run: mount each socket once.
      if (resolved != null && Files.exists(resolved) && seen.add(resolved)) {
        found.add(socket);
      }
    }
    return found;
  }

  private boolean isFileInside(String path) {
    Path resolved = inside(path);
    return resolved != null && Files.isRegularFile(resolved);
  }

  /**
   * The real location of {@code path} (absolute inside the driver root) when it exists and, links
   * resolved, stays inside the driver root; else null.
   */
  private Path inside(String path) {
    Path candidate = root.resolve(path.substring(1));
    try {
      Path real = candidate.toRealPath();
      Path realRoot = root.toRealPath();
      return real.startsWith(realRoot) ? real : null;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("resolving " + candidate + " failed", e);
    }
  }

  private static List<String> list(Path dir) {
    Set<String> names = new TreeSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        names.add(entry.getFileName().toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("listing " + dir + " failed", e);
    }
    return List.copyOf(names);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file + " failed", e);
    }
  }
}
