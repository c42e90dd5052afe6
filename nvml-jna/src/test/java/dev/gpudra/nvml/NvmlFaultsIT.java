package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.device.DeviceFault;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.nvml.mock.FakeSysfs;
import dev.gpudra.nvml.mock.MockNvml;
import dev.gpudra.nvml.mock.MockProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each fault an admin can meet, through the binding and through the discovery command. */
class NvmlFaultsIT {

  @TempDir Path dir;

  @AfterEach
  void clearMockSettings() {
    MockNvml.clearFromThisProcess();
  }

  private Map<String, String> env(String profile) {
    Map<String, String> env = new HashMap<>(MockNvml.env(profile, dir));
    env.put(NvmlLibraryLoader.LIBRARY_ENV, MockNvml.library().toString());
    return env;
  }

  private Path profileFile(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name + ".profile"), text);
  }

  @Test
  void missingLibraryNamesEveryPathSearchedAndTheSettingToChange() {
    NvmlLibraryLoader loader = new NvmlLibraryLoader(dir.resolve("no-driver"), Optional.empty());

    assertThatThrownBy(loader::load)
        .isInstanceOf(NvmlLibraryNotFoundException.class)
        .hasMessageContaining(dir.resolve("no-driver/usr/lib64/libnvidia-ml.so.1").toString())
        .hasMessageContaining(
            dir.resolve("no-driver/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1").toString())
        .hasMessageContaining("GPUDRA_DRIVER_ROOT");
  }

  @Test
  void libraryUnderADriverRootIsFound() throws IOException {
    Path lib = Files.createDirectories(dir.resolve("driver/usr/lib/x86_64-linux-gnu"));
    Files.createSymbolicLink(lib.resolve("libnvidia-ml.so.1"), MockNvml.library());

    NvmlLibraryLoader loader = new NvmlLibraryLoader(dir.resolve("driver"), Optional.empty());
    MockNvml.applyToThisProcess(MockNvml.env("l4-1x", dir));
    try (NvmlSession session = NvmlSession.open(loader.load())) {
      assertThat(session.deviceCount()).isEqualTo(1);
    }
  }

  @Test
  void commandReportsAMissingLibraryInOneLineWithExitCode2() throws Exception {
    DiscoverCommandRunner.Result result =
        DiscoverCommandRunner.run(Map.of(), "discover", "--driver-root", dir.toString());

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stderr().strip().lines())
        .singleElement()
        .asString()
        .startsWith("gpudra-nvml: libnvidia-ml.so.1 not found")
        .contains("GPUDRA_DRIVER_ROOT");
  }

  @Test
  void initFailureIsTypedWithNvmlsOwnMessage() {
    Map<String, String> env = new HashMap<>(MockNvml.env("a100-8x", dir));
    env.put(MockNvml.FAIL_INIT_ENV, "NVML_ERROR_DRIVER_NOT_LOADED");

    assertThatThrownBy(() -> MockSession.open(env).close())
        .isInstanceOfSatisfying(
            NvmlException.class,
            e -> {
              assertThat(e.function()).isEqualTo("nvmlInit_v2");
              assertThat(e.code()).isEqualTo(NvmlReturn.ERROR_DRIVER_NOT_LOADED);
              assertThat(e.nvmlMessage()).isEqualTo("Driver Not Loaded");
            });
  }

  @Test
  void commandExitsNonZeroOnInitFailureWithoutAStackTrace() throws Exception {
    Map<String, String> env = env("a100-8x");
    env.put(MockNvml.FAIL_INIT_ENV, "NVML_ERROR_NO_PERMISSION");

    DiscoverCommandRunner.Result result = DiscoverCommandRunner.run(env, "discover");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stderr().strip().lines())
        .singleElement()
        .asString()
        .isEqualTo("gpudra-nvml: nvmlInit_v2 failed: Insufficient Permissions (NVML error 4)");
  }

  @Test
  void oneLostGpuIsReportedAndTheOthersAreStillDiscovered() throws IOException {
    Path profile = profileFile("lost", "include a100-8x\nfault gpu-lost 3\n");

    NodeInventory inventory;
    try (NvmlSession session = MockSession.open(profile.toString(), dir)) {
      inventory = NvmlDeviceDiscovery.discover(session);
    }

    assertThat(inventory.gpus()).hasSize(7);
    assertThat(inventory.gpus()).extracting(g -> g.index()).doesNotContain(3);
    assertThat(inventory.faults())
        .containsExactly(new DeviceFault(3, "nvmlDeviceGetUUID", "GPU is lost"));
  }

  @Test
  void commandPrintsTheInventoryAndNamesTheLostGpuWithExitCode3() throws Exception {
    Path profile = profileFile("lost", "include a100-8x\nfault gpu-lost 5\n");
    Map<String, String> env = env(profile.toString());
    Path sysfs =
        FakeSysfs.create(dir.resolve("sys"), MockProfile.load(profile, MockNvml.builtInDir()));
    env.put(DiscoverCommandRunner.SYSFS_ROOT_ENV, sysfs.toString());

    DiscoverCommandRunner.Result result = DiscoverCommandRunner.run(env, "discover");

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.stdout()).contains("\"faults\"").contains("GPU is lost");
    assertThat(result.stderr().strip())
        .isEqualTo("gpudra-nvml: GPU 5 could not be read: nvmlDeviceGetUUID: GPU is lost");
  }

  @Test
  void malformedProfileIsRejectedNamingTheLineAndField() throws Exception {
    Path profile = profileFile("broken", "include a100-8x\ngpu 0\n  minor seven\nend\n");

    DiscoverCommandRunner.Result result =
        DiscoverCommandRunner.run(env(profile.toString()), "discover");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stderr())
        .contains(profile + ":3:")
        .contains("minor")
        .contains("gpudra-nvml: nvmlInit_v2 failed: Unknown Error");
  }
}
