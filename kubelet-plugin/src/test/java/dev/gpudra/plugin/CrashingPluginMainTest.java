package dev.gpudra.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.plugin.prepare.SelfKillAtStep;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CrashingPluginMainTest {

  @Test
  void armsAKillAtTheGivenStep() {
    assertThat(CrashingPluginMain.listener(Map.of(CrashingPluginMain.KILL_AT_STEP, "3")))
        .isInstanceOf(SelfKillAtStep.class);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      value = {
        "0 | - | GPUDRA_TEST_KILL_AT_STEP",
        "x | - | GPUDRA_TEST_KILL_AT_STEP",
        "- | prepare:spec-written | GPUDRA_TEST_KILL_AT_STEP_NAME",
      })
  void aBadKillSettingFailsNamingItsKey(String step, String name, String named) {
    Map<String, String> env = new HashMap<>();
    if (step != null) {
      env.put(CrashingPluginMain.KILL_AT_STEP, step);
    }
    if (name != null) {
      env.put(CrashingPluginMain.KILL_AT_STEP_NAME, name);
    }

    assertThatThrownBy(() -> CrashingPluginMain.listener(env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(named);
  }
}
