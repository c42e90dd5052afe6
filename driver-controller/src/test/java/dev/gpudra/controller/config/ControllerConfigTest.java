package dev.gpudra.controller.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ControllerConfigTest {

  @Test
  void unsetKeysTakeTheirDefaults() {
    assertThat(ControllerConfig.fromEnv(Map.of()))
        .isEqualTo(new ControllerConfig(8080, Duration.ofSeconds(15), Duration.ofMinutes(2)));
  }

  @Test
  void keysAreReadFromTheEnvironment() {
    ControllerConfig config =
        ControllerConfig.fromEnv(
            Map.of(
                "GPUDRA_METRICS_PORT", "9400",
                "GPUDRA_METRICS_REFRESH_INTERVAL", "PT5S",
                "GPUDRA_INFORMER_SYNC_TIMEOUT", "PT30S"));

    assertThat(config)
        .isEqualTo(new ControllerConfig(9400, Duration.ofSeconds(5), Duration.ofSeconds(30)));
  }

  @ParameterizedTest
  @CsvSource({
    "GPUDRA_METRICS_PORT, eighty",
    "GPUDRA_METRICS_PORT, 70000",
    "GPUDRA_METRICS_REFRESH_INTERVAL, 15s",
    "GPUDRA_METRICS_REFRESH_INTERVAL, PT0S",
    "GPUDRA_INFORMER_SYNC_TIMEOUT, -PT1S",
  })
  void badValuesFailNamingTheKey(String key, String value) {
    assertThatThrownBy(() -> ControllerConfig.fromEnv(Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(key);
  }
}
