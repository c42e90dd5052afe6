package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.device.DeviceFault;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.testkit.nvml.MockNvml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each fault an admin can meet, through the binding (the command's side: {@code
 * dev.gpudra.cli.DiscoverFaultsIT}).
 */
class NvmlFaultsIT {

  @TempDir Path dir;

  @AfterEach
  void clearMockSettings() {
    MockNvml.clearFromThisProcess();
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
}
