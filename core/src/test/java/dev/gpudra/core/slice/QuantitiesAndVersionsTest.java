package dev.gpudra.core.slice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantitiesAndVersionsTest {

  @ParameterizedTest
  @CsvSource({
    "85899345920, 80Gi",
    "10200547328, 9728Mi",
    "1024, 1Ki",
    "1000, 1000",
    "0, 0",
    "1099511627776, 1Ti",
  })
  void bytesTakeTheCanonicalBinaryForm(long bytes, String expected) {
    assertThat(Quantities.bytes(bytes).toString()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "8.0, 8.0.0",
    "550.54.15, 550.54.15",
    "12.4, 12.4.0",
    "535, 535.0.0",
    "550.54.015, 550.54.15"
  })
  void versionsBecomeSemver(String version, String expected) {
    assertThat(DeviceAttributes.semver(version)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a.b", "1.2.3.4", "1..2", "v550"})
  void nonVersionsAreRejected(String version) {
    assertThatThrownBy(() -> DeviceAttributes.semver(version))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(version);
  }
}
