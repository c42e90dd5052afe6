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
    ControllerConfig config = ControllerConfig.fromEnv(Map.of("POD_NAME", "controller-0"));

    assertThat(config)
        .isEqualTo(
            new ControllerConfig(
                8080,
                Duration.ofSeconds(15),
                Duration.ofMinutes(2),
                Duration.ofMinutes(1),
                Duration.ofMinutes(10),
                20,
                "default",
                "controller-0"));
  }

  @Test
  void keysAreReadFromTheEnvironment() {
    ControllerConfig config =
        ControllerConfig.fromEnv(
            Map.of(
                "GPUDRA_METRICS_PORT", "9400",
                "GPUDRA_METRICS_REFRESH_INTERVAL", "PT5S",
                "GPUDRA_INFORMER_SYNC_TIMEOUT", "PT30S",
                "GPUDRA_EXPLAIN_PENDING_AFTER", "PT2M",
                "GPUDRA_EVENT_REPEAT", "PT1H",
                "GPUDRA_EVENTS_PER_PASS", "5",
                "POD_NAMESPACE", "gpudra-system",
                "POD_NAME", "controller-1"));

    assertThat(config)
        .isEqualTo(
            new ControllerConfig(
                9400,
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                Duration.ofMinutes(2),
                Duration.ofHours(1),
                5,
                "gpudra-system",
                "controller-1"));
  }

  @ParameterizedTest
  @CsvSource({
    "GPUDRA_METRICS_PORT, eighty",
    "GPUDRA_METRICS_PORT, 70000",
    "GPUDRA_METRICS_REFRESH_INTERVAL, 15s",
    "GPUDRA_METRICS_REFRESH_INTERVAL, PT0S",
    "GPUDRA_INFORMER_SYNC_TIMEOUT, -PT1S",
    "GPUDRA_EVENTS_PER_PASS, 0",
    "GPUDRA_EXPLAIN_PENDING_AFTER, soon",
  })
  void badValuesFailNamingTheKey(String key, String value) {
    assertThatThrownBy(() -> ControllerConfig.fromEnv(Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(key);
  }
}
