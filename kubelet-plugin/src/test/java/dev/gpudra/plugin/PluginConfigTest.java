package dev.gpudra.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PluginConfigTest {

  private static Map<String, String> env(String... kv) {
    Map<String, String> env = new HashMap<>();
    env.put("NODE_NAME", "gpu-node-1");
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return env;
  }

  @Test
  void defaultsFitAKubeletOnAStandardNode() {
    PluginConfig config = PluginConfig.fromEnv(env());

    assertThat(config.nodeName()).isEqualTo("gpu-node-1");
    assertThat(config.cdiDir()).isEqualTo(Path.of("/var/run/cdi"));
    assertThat(config.checkpointDir())
        .isEqualTo(Path.of("/var/lib/kubelet/plugins/gpu.gpudra.dev"));
    assertThat(config.bootIdPath()).isEqualTo(Path.of("/proc/sys/kernel/random/boot_id"));
    assertThat(config.driverRoot()).isEqualTo(Path.of("/"));
    assertThat(config.sysfsRoot()).isEqualTo(Path.of("/sys"));
    assertThat(config.nvmlLibrary()).isEmpty();
    assertThat(config.metricsPort()).isEqualTo(8080);
    assertThat(config.dynamicMig()).isFalse();
    assertThat(config.sharingStrategies()).containsExactly("Exclusive");
  }

  @Test
  void readsEveryKey() {
    PluginConfig config =
        PluginConfig.fromEnv(
            env(
                "GPUDRA_CDI_DIR", "/run/cdi",
                "GPUDRA_CHECKPOINT_DIR", "/state",
                "GPUDRA_BOOT_ID_PATH", "/host/boot_id",
                "GPUDRA_DRIVER_ROOT", "/driver-root",
                "GPUDRA_SYSFS_ROOT", "/host/sys/",
                "GPUDRA_NVML_LIBRARY", "/opt/libnvidia-ml.so.1",
                "GPUDRA_METRICS_PORT", "9400",
                "GPUDRA_DYNAMIC_MIG", "TRUE",
                "GPUDRA_SHARING_STRATEGIES", "Exclusive, "));

    assertThat(config.cdiDir()).isEqualTo(Path.of("/run/cdi"));
    assertThat(config.checkpointDir()).isEqualTo(Path.of("/state"));
    assertThat(config.bootIdPath()).isEqualTo(Path.of("/host/boot_id"));
    assertThat(config.driverRoot()).isEqualTo(Path.of("/driver-root"));
    assertThat(config.sysfsRoot()).isEqualTo(Path.of("/host/sys"));
    assertThat(config.nvmlLibrary()).isEqualTo(Optional.of(Path.of("/opt/libnvidia-ml.so.1")));
    assertThat(config.metricsPort()).isEqualTo(9400);
    assertThat(config.dynamicMig()).isTrue();
    assertThat(config.sharingStrategies()).isEqualTo(Set.of("Exclusive"));
    assertThat(config.effective())
        .containsEntry("GPUDRA_METRICS_PORT", "9400")
        .containsEntry("GPUDRA_SYSFS_ROOT", "/host/sys");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "NODE_NAME | Not_A_Node | NODE_NAME",
        "GPUDRA_CDI_DIR | relative/cdi | GPUDRA_CDI_DIR",
        "GPUDRA_SYSFS_ROOT | sys | GPUDRA_SYSFS_ROOT",
        "GPUDRA_METRICS_PORT | http | GPUDRA_METRICS_PORT",
        "GPUDRA_METRICS_PORT | 70000 | GPUDRA_METRICS_PORT",
        "GPUDRA_DYNAMIC_MIG | yes | GPUDRA_DYNAMIC_MIG",
        "GPUDRA_SHARING_STRATEGIES | Exclusive,Sliced | GPUDRA_SHARING_STRATEGIES",
        "KUBELET_PLUGIN_DIRECTORY_PATH | plugins | KUBELET_PLUGIN_DIRECTORY_PATH",
        "GPUDRA_CDI_HOOK_PATH | nvidia-cdi-hook | GPUDRA_CDI_HOOK_PATH",
      })
  void aBadValueFailsStartUpNamingItsKey(String key, String value, String named) {
    assertThatThrownBy(() -> PluginConfig.fromEnv(env(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(named);
  }

  @Test
  void cdiHooksRunTheToolkitsProgramWhereItsPackagesInstallIt() {
    assertThat(PluginConfig.fromEnv(env()).cdiHookPath()).contains("/usr/bin/nvidia-cdi-hook");
  }

  @Test
  void cdiHooksRunTheProgramWhereTheNodeHasIt() {
    PluginConfig config =
        PluginConfig.fromEnv(
            env("GPUDRA_CDI_HOOK_PATH", "/usr/local/nvidia/toolkit/nvidia-cdi-hook"));

    assertThat(config.cdiHookPath()).contains("/usr/local/nvidia/toolkit/nvidia-cdi-hook");
    assertThat(config.effective())
        .containsEntry("GPUDRA_CDI_HOOK_PATH", "/usr/local/nvidia/toolkit/nvidia-cdi-hook");
  }

  @Test
  void anEmptyCdiHookPathMeansANodeWithoutHooks() {
    PluginConfig config = PluginConfig.fromEnv(env("GPUDRA_CDI_HOOK_PATH", ""));

    assertThat(config.cdiHookPath()).isEmpty();
    assertThat(config.effective().get("GPUDRA_CDI_HOOK_PATH")).startsWith("(none");
  }

  @Test
  void theNodeNameIsRequired() {
    Map<String, String> env = env();
    env.remove("NODE_NAME");

    assertThatThrownBy(() -> PluginConfig.fromEnv(env))
        .hasMessageContaining("NODE_NAME is required");
  }

  @Test
  void theProductionPluginHasNoCrashTestKeys() {
    PluginConfig config =
        PluginConfig.fromEnv(
            env(
                "GPUDRA_TEST_KILL_AT_STEP", "3",
                "GPUDRA_TEST_KILL_AT_STEP_NAME", "prepare:spec-written"));

    assertThat(config.effective())
        .doesNotContainKeys("GPUDRA_TEST_KILL_AT_STEP", "GPUDRA_TEST_KILL_AT_STEP_NAME");
  }
}
