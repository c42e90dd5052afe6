package dev.gpudra.cdi.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.cdi.DeviceMajors;
import dev.gpudra.cdi.Fixtures;
import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.NodeDriverInfo;
import dev.gpudra.testkit.node.FakeDriverRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery over a fake driver root, /dev and /proc built in a temporary directory. */
class DriverRootDiscoveryIT {
  @TempDir Path tmp;
  private Path driverRoot;
  private Path devRoot;
  private Path procRoot;

  @BeforeEach
  void buildFakeNode() throws IOException {
    driverRoot = Files.createDirectories(tmp.resolve("driver-root"));
    devRoot = Files.createDirectories(tmp.resolve("host"));
    procRoot = Files.createDirectories(tmp.resolve("proc"));

    FakeDriverRoot.files(driverRoot, Fixtures.libraries());
    Path libDir = driverRoot.resolve("usr/lib/x86_64-linux-gnu");
    // SONAME links and other versions are not what is mounted.
    Files.createSymbolicLink(libDir.resolve("libcuda.so.1"), Path.of("libcuda.so.580.95.05"));
    file(driverRoot, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.570.86.15");
    file(driverRoot, "/usr/lib/x86_64-linux-gnu/libfoo.so.580.95.05.bak");
    // Merged /usr: /lib, /var/run are links, and must not produce duplicate mounts.
    Files.createSymbolicLink(driverRoot.resolve("lib"), Path.of("usr/lib"));
    FakeDriverRoot.files(driverRoot, Fixtures.BINARIES);
    file(driverRoot, "/usr/bin/nvidia-imex");
    for (String fw : Fixtures.FIRMWARE) {
      file(driverRoot, fw.replaceFirst("^/lib/", "/usr/lib/"));
    }
    file(driverRoot, "/run/nvidia-persistenced/socket");
    Files.createDirectories(driverRoot.resolve("var"));
    Files.createSymbolicLink(driverRoot.resolve("var/run"), Path.of("../run"));

    FakeDriverRoot.proc(procRoot, 2);
  }

  private DriverRootDiscovery discovery(String hostDriverRoot) {
    return new DriverRootDiscovery(
        new DriverRootDiscovery.Config(
            driverRoot,
            hostDriverRoot,
            devRoot,
            procRoot,
            DriverRootDiscovery.DEFAULT_LIBRARY_DIRS));
  }

  @Test
  void findsTheDriverFilesTheContainerToolkitWouldMount() {
    NodeDriverInfo info = discovery("/").discover(Fixtures.DRIVER_VERSION);

    assertThat(info.files()).isEqualTo(Fixtures.nodeFiles());
  }

  @Test
  void readsDeviceMajorsAndMigMinorsFromProc() {
    NodeDriverInfo info = discovery("/").discover(Fixtures.DRIVER_VERSION);

    assertThat(info.majors()).isEqualTo(Fixtures.MAJORS);
    assertThat(info.migMinors()).isEqualTo(MigMinors.parse(Fixtures.migMinorsFile(2)));
    assertThat(info.migMinors().computeInstance(1, 2, 3)).hasValue(138 + 2 * 9 + 1 + 3);
  }

  @Test
  void aNodeWithoutMigMinorsHasNoMigCapabilities() throws IOException {
    Files.delete(procRoot.resolve("driver/nvidia-caps/mig-minors"));

    assertThat(discovery("/").discover(Fixtures.DRIVER_VERSION).migMinors())
        .isEqualTo(MigMinors.NONE);
  }

  @Test
  void addsModesetWhenTheNodeHasTheDevice() throws IOException {
    assertThat(discovery("/").discover(Fixtures.DRIVER_VERSION).files().modesetPresent()).isFalse();

    file(devRoot, "/dev/nvidia-modeset");

    assertThat(discovery("/").discover(Fixtures.DRIVER_VERSION).files().modesetPresent()).isTrue();
  }

  @Test
  void reportsAContainerisedDriverUnderItsHostPath() {
    NodeDriverInfo info = discovery("/run/nvidia/driver").discover(Fixtures.DRIVER_VERSION);

    assertThat(info.files().hostDriverRoot()).isEqualTo("/run/nvidia/driver");
    assertThat(info.files().libraries()).isEqualTo(Fixtures.libraries());
  }

  @Test
  void findsVdpauLibrariesInTheirSubfolder() throws IOException {
    file(driverRoot, "/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.580.95.05");

    assertThat(discovery("/").discover(Fixtures.DRIVER_VERSION).files().libraries())
        .contains("/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.580.95.05")
        .hasSize(Fixtures.LIBRARY_STEMS.size() + 1);
  }

  @Test
  void ignoresLinksThatLeaveTheDriverRoot() throws IOException {
    Path outside = file(tmp, "/elsewhere/libcuda.so.580.95.05");
    Files.createSymbolicLink(
        driverRoot.resolve("usr/lib/x86_64-linux-gnu/libescape.so.580.95.05"), outside);

    assertThat(discovery("/").discover(Fixtures.DRIVER_VERSION).files().libraries())
        .noneMatch(l -> l.contains("libescape"));
  }

  @Test
  void refusesWhenNoLibraryOfTheDriverVersionExists() {
    assertThatThrownBy(() -> discovery("/").discover("999.1.1"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no NVIDIA driver library of version 999.1.1");
  }

  @Test
  void refusesWhenTheUvmModuleIsNotLoaded() throws IOException {
    Files.writeString(procRoot.resolve("devices"), "Character devices:\n195 nvidia-frontend\n");

    assertThatThrownBy(() -> discovery("/").discover(Fixtures.DRIVER_VERSION))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nvidia-uvm");
  }

  @Test
  void rejectsAVersionThatCouldActAsAPattern() {
    assertThatThrownBy(() -> discovery("/").discover("*"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void majorsComeFromTheKernelNotFromConstants() throws IOException {
    Files.writeString(
        procRoot.resolve("devices"),
        "Character devices:\n195 nvidia-frontend\n236 nvidia-uvm\n237 nvidia-caps\n");

    assertThat(discovery("/").discover(Fixtures.DRIVER_VERSION).majors())
        .isEqualTo(new DeviceMajors(195, 236, 237));
  }

  private static Path file(Path root, String absolute) throws IOException {
    Path p = root.resolve(absolute.substring(1));
    Files.createDirectories(p.getParent());
    Files.writeString(p, "x");
    return p;
  }
}
