package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The fake GPU files of a real node, made in the node's {@code /var/lib} before its containerd
 * starts: the test kit's driver root (with the mock driver tools), {@code /proc} and {@code /sys}
 * at {@link RealNode#FAKE_ROOT}, character devices for every GPU of the profile, the profile itself
 * where the chart's mock NVML settings point ({@link RealNode#MOCK_PROFILE}), and the utilities the
 * mock tools call, as a host's driver root has them beside the driver's binaries.
 */
final class FakeDriverRoot {

  private static final int NVIDIA_MAJOR = 195;

  /**
   * What the mock driver tools call besides shell builtins, from the static busybox: they run
   * inside the plugin's container and the MPS daemon pods, whose image has nothing but a shell.
   */
  static final List<String> APPLETS =
      List.of(
          "cat", "cut", "grep", "mkdir", "mkfifo", "mv", "rm", "rmdir", "sed", "sleep", "timeout");

  private FakeDriverRoot() {}

  /**
   * Makes node {@code node}'s fake GPUs of mock NVML {@code profile} under {@code varLib} (the
   * node's {@code /var/lib} as the host sees it), with {@code busybox} for the utilities.
   */
  static void create(Path varLib, String node, String profile, Path busybox) throws IOException {
    Path root = varLib.resolve(RealNode.FAKE_ROOT.substring("/var/lib/".length()));
    FakeNode fake = FakeNode.create(root, node, profile);
    userland(fake.driverRoot(), busybox);
    Path dev = Files.createDirectories(root.resolve("dev"));
    MockProfile mock = MockNvml.load(profile);
    for (MockProfile.Gpu gpu : mock.gpus()) {
      mknod(dev.resolve("nvidia" + gpu.minor()), NVIDIA_MAJOR, gpu.minor());
    }
    mknod(dev.resolve("nvidiactl"), NVIDIA_MAJOR, 255);
    // Majors of the test kit's /proc/devices (nvidia-uvm 508).
    mknod(dev.resolve("nvidia-uvm"), 508, 0);
    mknod(dev.resolve("nvidia-uvm-tools"), 508, 1);
    Path profileFile = varLib.resolve(RealNode.MOCK_PROFILE.substring("/var/lib/".length()));
    Files.createDirectories(profileFile.getParent());
    Files.copy(MockNvml.builtInProfile(profile), profileFile);
  }

  private static void userland(Path driverRoot, Path busybox) throws IOException {
    Path bin = Files.createDirectories(driverRoot.resolve(MockTools.BIN_DIR));
    Files.copy(busybox, bin.resolve("busybox"));
    for (String applet : APPLETS) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
  }

  private static void mknod(Path path, int major, int minor) {
    Command.check(
        Duration.ofSeconds(10),
        "mknod",
        "-m",
        "666",
        path.toString(),
        "c",
        Integer.toString(major),
        Integer.toString(minor));
  }
}
