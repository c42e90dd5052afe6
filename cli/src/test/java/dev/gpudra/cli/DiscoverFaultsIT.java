package dev.gpudra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.nvml.NvmlLibraryLoader;
import dev.gpudra.testkit.nvml.FakeSysfs;
import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each fault an admin can meet running {@code gpudra discover}: one line, a distinct exit code. */
class DiscoverFaultsIT {

  @TempDir Path dir;

  private Map<String, String> env(String profile) {
    Map<String, String> env = new HashMap<>(MockNvml.env(profile, dir));
    env.put(NvmlLibraryLoader.LIBRARY_ENV, MockNvml.library().toString());
    return env;
  }

  private Path profileFile(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name + ".profile"), text);
  }

  @Test
  void commandReportsAMissingLibraryInOneLineWithExitCode2() throws Exception {
    CliRunner.Result result = CliRunner.run(Map.of(), "discover", "--driver-root", dir.toString());

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stderr().strip().lines())
        .singleElement()
        .asString()
        .startsWith("gpudra: libnvidia-ml.so.1 not found")
        .contains("GPUDRA_DRIVER_ROOT");
  }

  @Test
  void commandExitsNonZeroOnInitFailureWithoutAStackTrace() throws Exception {
    Map<String, String> env = env("a100-8x");
    env.put(MockNvml.FAIL_INIT_ENV, "NVML_ERROR_NO_PERMISSION");

    CliRunner.Result result = CliRunner.run(env, "discover");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stderr().strip().lines())
        .singleElement()
        .asString()
        .isEqualTo("gpudra: nvmlInit_v2 failed: Insufficient Permissions (NVML error 4)");
  }

  @Test
  void commandPrintsTheInventoryAndNamesTheLostGpuWithExitCode3() throws Exception {
    Path profile = profileFile("lost", "include a100-8x\nfault gpu-lost 5\n");
    Map<String, String> env = env(profile.toString());
    Path sysfs =
        FakeSysfs.create(dir.resolve("sys"), MockProfile.load(profile, MockNvml.builtInDir()));
    env.put(CliRunner.SYSFS_ROOT_ENV, sysfs.toString());

    CliRunner.Result result = CliRunner.run(env, "discover");

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.stdout()).contains("\"faults\"").contains("GPU is lost");
    assertThat(result.stderr().strip())
        .isEqualTo("gpudra: GPU 5 could not be read: nvmlDeviceGetUUID: GPU is lost");
  }

  @Test
  void malformedProfileIsRejectedNamingTheLineAndField() throws Exception {
    Path profile = profileFile("broken", "include a100-8x\ngpu 0\n  minor seven\nend\n");

    CliRunner.Result result = CliRunner.run(env(profile.toString()), "discover");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stderr())
        .contains(profile + ":3:")
        .contains("minor")
        .contains("gpudra: nvmlInit_v2 failed: Unknown Error");
  }
}
