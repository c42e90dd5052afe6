package dev.gpudra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.nvml.NvmlLibraryLoader;
import dev.gpudra.testkit.nvml.FakeSysfs;
import dev.gpudra.testkit.nvml.MockNvml;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code gpudra discover} reads each GPU's PCIe root and NUMA node from the sysfs it is given. */
class DiscoverSysfsIT {

  @TempDir Path dir;

  @Test
  void discoverCommandPrintsEachGpusRootAndNumaNodeFromTheGivenSysfs() throws Exception {
    Path sysfs = FakeSysfs.create(dir.resolve("sys"), MockNvml.load("mixed"));
    Map<String, String> env = new HashMap<>(MockNvml.env("mixed", dir));
    env.put(NvmlLibraryLoader.LIBRARY_ENV, MockNvml.library().toString());

    CliRunner.Result result = CliRunner.run(env, "discover", "--sysfs-root", sysfs.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.stderr()).isEmpty();
    JsonNode gpus = JsonMapper.builder().build().readTree(result.stdout()).get("gpus");
    assertThat(gpus.get(1).get("pciTopology").get("pcieRoot").asString()).isEqualTo("pci0000:00");
    assertThat(gpus.get(3).get("pciTopology").get("pcieRoot").asString()).isEqualTo("pci0000:40");
    assertThat(gpus.get(4).get("pciTopology").get("numaNode").asInt()).isEqualTo(1);
  }

  @Test
  void discoverCommandWithoutSysfsStillSucceedsAndWarnsOnce() throws Exception {
    Map<String, String> env = new HashMap<>(MockNvml.env("a100-8x", dir));
    env.put(NvmlLibraryLoader.LIBRARY_ENV, MockNvml.library().toString());
    env.put(CliRunner.SYSFS_ROOT_ENV, dir.resolve("no-sys").toString());

    CliRunner.Result result = CliRunner.run(env, "discover");

    assertThat(result.exitCode()).isZero();
    assertThat(result.stderr().strip().lines())
        .singleElement()
        .asString()
        .startsWith("gpudra: " + dir.resolve("no-sys/bus/pci/devices"));
    JsonNode gpus = JsonMapper.builder().build().readTree(result.stdout()).get("gpus");
    assertThat(gpus).hasSize(8);
    assertThat(gpus.get(0).get("pciTopology").get("pcieRoot").isNull()).isTrue();
  }
}
