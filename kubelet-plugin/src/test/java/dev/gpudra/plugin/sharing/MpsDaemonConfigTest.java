package dev.gpudra.plugin.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the plugin's environment chooses and configures the form of its MPS daemons. */
class MpsDaemonConfigTest {

  @Test
  void withoutTheKeyDaemonsAreProcesses() {
    MpsDaemonConfig config = MpsDaemonConfig.fromEnv(Map.of());

    assertThat(config.pods()).isFalse();
    assertThat(config.form()).isEqualTo("process");
  }

  @Test
  void podsTakeTheImageNamespaceHostPathsAndTheMockVariables() {
    MpsDaemonConfig config =
        MpsDaemonConfig.fromEnv(
            Map.of(
                "GPUDRA_MPS_DAEMON", "pod",
                "GPUDRA_IMAGE", "gpudra/gpudra:1.0",
                "POD_NAMESPACE", "gpudra-system",
                "GPUDRA_MPS_DAEMON_HOST_PATHS", "/var/lib/gpudra/mock-nvml, /b",
                "GPUDRA_MOCK_NVML_STATE", "/var/lib/gpudra/mock-nvml/node.state",
                "GPUDRA_MPS_DAEMON_PRIORITY_CLASS", " system-node-critical ",
                "GPUDRA_CDI_DIR", "/var/run/cdi"));

    assertThat(config.pods()).isTrue();
    assertThat(config.image()).contains("gpudra/gpudra:1.0");
    assertThat(config.namespace()).contains("gpudra-system");
    assertThat(config.hostPaths()).containsExactly("/b", "/var/lib/gpudra/mock-nvml");
    assertThat(config.priorityClass()).contains("system-node-critical");
    assertThat(
            MpsDaemonConfig.fromEnv(Map.of("GPUDRA_MPS_DAEMON_PRIORITY_CLASS", "")).priorityClass())
        .isEmpty();
    assertThat(config.passedEnv())
        .containsExactly(
            Map.entry("GPUDRA_MOCK_NVML_STATE", "/var/lib/gpudra/mock-nvml/node.state"));
  }

  @Test
  void badValuesFailNamingTheirKey() {
    assertThatThrownBy(() -> MpsDaemonConfig.fromEnv(Map.of("GPUDRA_MPS_DAEMON", "daemonset")))
        .hasMessageContaining("GPUDRA_MPS_DAEMON");
    assertThatThrownBy(
            () ->
                MpsDaemonConfig.fromEnv(
                    Map.of("GPUDRA_MPS_DAEMON", "pod", "POD_NAMESPACE", "gpudra-system")))
        .hasMessageContaining("GPUDRA_IMAGE");
    assertThatThrownBy(
            () -> MpsDaemonConfig.fromEnv(Map.of("GPUDRA_MPS_DAEMON", "pod", "GPUDRA_IMAGE", "x")))
        .hasMessageContaining("POD_NAMESPACE");
    assertThatThrownBy(
            () ->
                new MpsDaemonConfig(
                    "process",
                    Optional.empty(),
                    Optional.empty(),
                    List.of("rel"),
                    Map.of(),
                    Optional.empty()))
        .hasMessageContaining("GPUDRA_MPS_DAEMON_HOST_PATHS");
  }
}
