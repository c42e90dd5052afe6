package dev.gpudra.core.cel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SemverValueTest {

  @ParameterizedTest(name = "{0} <=> {1} = {2}")
  @CsvSource({
    "1.0.0, 2.0.0, -1",
    "2.1.0, 2.0.9, 1",
    "1.0.0-alpha, 1.0.0, -1",
    "1.0.0-alpha, 1.0.0-alpha.1, -1",
    "1.0.0-alpha.1, 1.0.0-alpha.beta, -1",
    "1.0.0-beta.2, 1.0.0-beta.11, -1",
    "1.0.0-rc.1, 1.0.0-beta.11, 1",
    "1.0.0+build.1, 1.0.0+build.2, 0",
    "550.54.15, 535.0.0, 1"
  })
  void ordersBySemverPrecedence(String a, String b, int expected) {
    assertThat(SemverValue.parse(a).compareTo(SemverValue.parse(b))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.2", "01.2.3", "1.2.3-01", "v1.2.3", "1.2.3-", "1.2.3+a..b", "a.b.c"})
  void rejectsVersionsThatAreNotStrictSemver(String text) {
    assertThat(SemverValue.isSemver(text, false)).isFalse();
    assertThatThrownBy(() -> SemverValue.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"v1.2.3, 1.2.3", "1.2, 1.2.0", "1, 1.0.0", "01.002.3, 1.2.3"})
  void normalizesLikeKubernetesWhenAsked(String text, String normal) {
    assertThat(SemverValue.parseNormalized(text)).isEqualTo(SemverValue.parse(normal));
  }
}
