package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MigMinorsTest {
  private final MigMinors twoGpus = MigMinors.parse(Fixtures.migMinorsFile(2));

  @ParameterizedTest(name = "gpu{0}/gi{1} -> {2}")
  @CsvSource({"0, 0, 3", "0, 7, 66", "0, 14, 129", "1, 0, 138"})
  void findsGpuInstanceMinors(int gpu, int gi, int minor) {
    assertThat(twoGpus.gpuInstance(gpu, gi)).hasValue(minor);
  }

  @ParameterizedTest(name = "gpu{0}/gi{1}/ci{2} -> {3}")
  @CsvSource({"0, 0, 0, 4", "0, 7, 0, 67", "0, 7, 7, 74", "1, 14, 7, 272"})
  void findsComputeInstanceMinors(int gpu, int gi, int ci, int minor) {
    assertThat(twoGpus.computeInstance(gpu, gi, ci)).hasValue(minor);
  }

  @Test
  void reportsInstancesTheFileDoesNotList() {
    assertThat(twoGpus.gpuInstance(2, 0)).isEqualTo(OptionalInt.empty());
    assertThat(twoGpus.computeInstance(0, 15, 0)).isEqualTo(OptionalInt.empty());
  }

  @Test
  void toleratesBlankLinesAndTrailingWhitespace() {
    MigMinors m = MigMinors.parse("\nconfig 1\r\nmonitor 2\n\ngpu3/gi1/access 21  \n");
    assertThat(m.gpuInstance(3, 1)).hasValue(21);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "gpu0/gi0/access",
        "gpu0/gi0/access x",
        "gpu0/gi0 3",
        "gpu0/gi0/ci/access 4",
        "gpu0/../access 3",
        "gpu0/gi0/access -3",
        "gpu0/gi0/access 99999999999"
      })
  void rejectsMalformedLinesNamingThem(String line) {
    assertThatThrownBy(() -> MigMinors.parse("config 1\n" + line + "\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2");
  }

  @Test
  void rejectsACapabilityListedTwice() {
    assertThatThrownBy(() -> MigMinors.parse("gpu0/gi0/access 3\ngpu0/gi0/access 4\n"))
        .hasMessageContaining("listed twice");
  }
}
