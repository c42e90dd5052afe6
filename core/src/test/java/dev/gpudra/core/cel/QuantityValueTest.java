package dev.gpudra.core.cel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantityValueTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "1, 1",
    "1Ki, 1024",
    "40Gi, 42949672960",
    "1.5Gi, 1610612736",
    "500m, 0.5",
    "1k, 1000",
    "2M, 2000000",
    "1e3, 1000",
    "1E-2, 0.01",
    "-1.5, -1.5",
    "+7, 7",
    ".5, 0.5",
    "100n, 0.0000001"
  })
  void parsesTheKubernetesQuantityGrammar(String text, String exact) {
    assertThat(QuantityValue.parse(text).value()).isEqualByComparingTo(new BigDecimal(exact));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Gi", "1 Gi", "1gi", "1KiB", "one", "1.2.3"})
  void rejectsTextThatIsNoQuantity(String text) {
    assertThat(QuantityValue.isQuantity(text)).isFalse();
    assertThatThrownBy(() -> QuantityValue.parse(text))
        .hasMessageContaining("quantities must match the regular expression");
  }

  @ParameterizedTest(name = "{0} == {1}")
  @CsvSource({"1Gi, 1024Mi", "1000m, 1", "1k, 1000", "0, 0m"})
  void equalQuantitiesInDifferentUnitsAreEqual(String a, String b) {
    assertThat(QuantityValue.parse(a)).isEqualTo(QuantityValue.parse(b));
    assertThat(QuantityValue.parse(a).hashCode()).isEqualTo(QuantityValue.parse(b).hashCode());
  }

  @ParameterizedTest(name = "{0} integer? {1}")
  @CsvSource({"4, true", "1.5, false", "1Ei, true", "16Ei, false", "-3k, true"})
  void knowsWhichQuantitiesAreIntegers(String text, boolean integer) {
    assertThat(QuantityValue.parse(text).isInteger()).isEqualTo(integer);
  }
}
