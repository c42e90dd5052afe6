package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.PciTopology;
import dev.gpudra.testkit.nvml.FakeSysfs;
import dev.gpudra.testkit.nvml.MockNvml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading GPUs' PCIe roots and NUMA nodes from a sysfs tree in a temporary directory, laid out as
 * the kernel does (and as {@link FakeSysfs} builds it for the mock profiles), including the ways a
 * node's sysfs can fall short.
 */
class SysfsPciTopologyIT {

  @TempDir Path dir;

  private final List<String> warnings = new ArrayList<>();

  private SysfsPciTopology reader(Path sysfs) {
    return new SysfsPciTopology(sysfs, warnings::add);
  }

  private static PciTopology topology(String root, int numa) {
    return new PciTopology(
        Optional.of(root), numa < 0 ? OptionalInt.empty() : OptionalInt.of(numa));
  }

  /** A device directory below {@code devices/} and its {@code bus/pci/devices} link. */
  private Path device(Path sysfs, String below, String busId, String numaNode) throws IOException {
    Path device = Files.createDirectories(sysfs.resolve("devices").resolve(below));
    if (numaNode != null) {
      Files.writeString(device.resolve("numa_node"), numaNode);
    }
    Path links = Files.createDirectories(sysfs.resolve("bus/pci/devices"));
    Files.createSymbolicLink(
        links.resolve(busId), Path.of("..", "..", "..", "devices").resolve(below));
    return device;
  }

  @Test
  void a100NodeHasTwoGpusUnderEachOfFourRootsAndTwoNumaNodes() throws IOException {
    SysfsPciTopology reader =
        reader(FakeSysfs.create(dir.resolve("sys"), MockNvml.load("a100-8x")));

    assertThat(reader.topology("0000:07:00.0")).isEqualTo(topology("pci0000:00", 0));
    assertThat(reader.topology("0000:0f:00.0")).isEqualTo(topology("pci0000:00", 0));
    assertThat(reader.topology("0000:4e:00.0")).isEqualTo(topology("pci0000:40", 0));
    assertThat(reader.topology("0000:87:00.0")).isEqualTo(topology("pci0000:80", 1));
    assertThat(reader.topology("0000:90:00.0")).isEqualTo(topology("pci0000:80", 1));
    assertThat(reader.topology("0000:bd:00.0")).isEqualTo(topology("pci0000:a0", 1));
    assertThat(warnings).isEmpty();
  }

  @Test
  void numaNodeMinusOneGivesARootWithoutNumaNode() throws IOException {
    SysfsPciTopology reader = reader(FakeSysfs.create(dir.resolve("sys"), MockNvml.load("l4-1x")));

    assertThat(reader.topology("0000:00:03.0")).isEqualTo(topology("pci0000:00", -1));
    assertThat(warnings).isEmpty();
  }

  @Test
  void aSysfsRootReachedThroughASymlinkResolvesTheSame() throws IOException {
    Path real = FakeSysfs.create(dir.resolve("real-sys"), MockNvml.load("h100-8x"));
    Path link = Files.createSymbolicLink(dir.resolve("host-sys"), real);

    assertThat(reader(link).topology("0000:9a:00.0")).isEqualTo(topology("pci0000:97", 1));
    assertThat(warnings).isEmpty();
  }

  @Test
  void aGpuMissingFromSysfsIsUnknownAndWarnedAboutOnce() throws IOException {
    SysfsPciTopology reader =
        reader(FakeSysfs.create(dir.resolve("sys"), MockNvml.load("a100-8x")));

    assertThat(reader.topology("0000:c1:00.0")).isEqualTo(PciTopology.UNKNOWN);
    assertThat(reader.topology("0000:c1:00.0")).isEqualTo(PciTopology.UNKNOWN);

    assertThat(warnings).singleElement().asString().contains("0000:c1:00.0", "does not exist");
  }

  @Test
  void withoutPciDevicesInSysfsEveryGpuIsUnknownWithOneWarningInAll() throws IOException {
    SysfsPciTopology reader = reader(Files.createDirectories(dir.resolve("empty-sys")));

    for (String busId : List.of("0000:07:00.0", "0000:0f:00.0", "0000:47:00.0")) {
      assertThat(reader.topology(busId)).isEqualTo(PciTopology.UNKNOWN);
    }

    assertThat(warnings)
        .singleElement()
        .asString()
        .contains(dir.resolve("empty-sys/bus/pci/devices").toString(), "is the host's sysfs");
  }

  @Test
  void aDeviceOutsideAPcieRootKeepsItsNumaNodeButGetsNoRoot() throws IOException {
    Path sysfs = dir.resolve("sys");
    device(sysfs, "platform/soc/0000:07:00.0", "0000:07:00.0", "1\n");

    assertThat(reader(sysfs).topology("0000:07:00.0"))
        .isEqualTo(new PciTopology(Optional.empty(), OptionalInt.of(1)));
    assertThat(warnings)
        .singleElement()
        .asString()
        .contains("0000:07:00.0", "does not start with a PCIe root");
  }

  @Test
  void aLinkToAnotherDeviceGivesNoRoot() throws IOException {
    Path sysfs = dir.resolve("sys");
    device(sysfs, "pci0000:00/0000:00:01.1/0000:0f:00.0", "0000:07:00.0", "0\n");

    assertThat(reader(sysfs).topology("0000:07:00.0").pcieRoot()).isEmpty();
    assertThat(warnings).singleElement().asString().contains("names another device");
  }

  @Test
  void aMissingOrBrokenNumaNodeFileGivesARootWithoutNumaNode() throws IOException {
    Path sysfs = dir.resolve("sys");
    device(sysfs, "pci0000:40/0000:40:01.1/0000:47:00.0", "0000:47:00.0", null);
    device(sysfs, "pci0000:40/0000:40:01.1/0000:4e:00.0", "0000:4e:00.0", "node zero\n");
    SysfsPciTopology reader = reader(sysfs);

    assertThat(reader.topology("0000:47:00.0")).isEqualTo(topology("pci0000:40", -1));
    assertThat(reader.topology("0000:4e:00.0")).isEqualTo(topology("pci0000:40", -1));
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0)).contains("0000:47:00.0", "numa_node is missing");
    assertThat(warnings.get(1)).contains("0000:4e:00.0", "not a number");
  }
}
