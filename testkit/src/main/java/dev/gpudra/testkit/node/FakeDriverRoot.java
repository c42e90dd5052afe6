package dev.gpudra.testkit.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The files an NVIDIA driver leaves on a node, as the kernel module and the installer lay them out,
 * for tests that point driver-root and {@code /proc} discovery at a temporary directory. Files
 * only: what the driver's files mean (CDI mounts, majors, MIG minors) is the code under test's.
 */
public final class FakeDriverRoot {

  /** Where Debian-family distributions install the driver's libraries. */
  public static final String LIB_DIR = "/usr/lib/x86_64-linux-gnu";

  /**
   * {@code /proc/devices} of a node with the driver loaded: nvidia 195 as always; uvm and caps
   * numbered dynamically as a 6.x kernel does, with other drivers' majors around them.
   */
  public static final String PROC_DEVICES =
      """
      Character devices:
        1 mem
        4 /dev/vc/0
        4 tty
        5 /dev/tty
        5 /dev/console
      195 nvidia-frontend
      226 drm
      508 nvidia-uvm
      509 nvidia-nvswitch
      510 nvidia-nvlink
      511 nvidia-caps

      Block devices:
        7 loop
        8 sd
      259 blkext
      """;

  private FakeDriverRoot() {}

  /**
   * The {@code mig-minors} content the driver writes for {@code gpus} GPUs: per GPU 15 GPU
   * instances of 8 compute instances each, numbered from 3 after config (1) and monitor (2).
   */
  public static String migMinors(int gpus) {
    StringBuilder b = new StringBuilder("config 1\nmonitor 2\n");
    int minor = 3;
    for (int gpu = 0; gpu < gpus; gpu++) {
      for (int gi = 0; gi < 15; gi++) {
        b.append("gpu").append(gpu).append("/gi").append(gi).append("/access ").append(minor++);
        b.append('\n');
        for (int ci = 0; ci < 8; ci++) {
          b.append("gpu").append(gpu).append("/gi").append(gi).append("/ci").append(ci);
          b.append("/access ").append(minor++).append('\n');
        }
      }
    }
    return b.toString();
  }

  /**
   * Absolute paths of the libraries {@code stems} as the installer names them for {@code version}.
   */
  public static List<String> libraries(String version, Collection<String> stems) {
    List<String> libs = new ArrayList<>();
    for (String stem : stems) {
      libs.add(LIB_DIR + "/" + stem + ".so." + version);
    }
    return libs;
  }

  /**
   * Creates an empty file under {@code root} for each absolute path (a driver root's libraries,
   * binaries, firmware, sockets), with its parent directories.
   */
  public static void files(Path root, Collection<String> absolutePaths) throws IOException {
    for (String path : absolutePaths) {
      Path file = root.resolve(path.replaceFirst("^/+", ""));
      Files.createDirectories(file.getParent());
      Files.writeString(file, "");
    }
  }

  /**
   * Writes the driver's part of a node's {@code /proc} under {@code procRoot}: {@code devices}
   * ({@link #PROC_DEVICES}) and {@code driver/nvidia-caps/mig-minors} for {@code gpus} GPUs.
   */
  public static void proc(Path procRoot, int gpus) throws IOException {
    Files.createDirectories(procRoot);
    Files.writeString(procRoot.resolve("devices"), PROC_DEVICES);
    Path caps = Files.createDirectories(procRoot.resolve("driver/nvidia-caps"));
    Files.writeString(caps.resolve("mig-minors"), migMinors(gpus));
  }
}
