package dev.gpudra.core.slice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceNamesTest {

  @ParameterizedTest
  @CsvSource({
    "0, 1g.10gb,    19, 0, gpu-0-mig-1g10gb-19-0",
    "3, 1g.10gb+me, 20, 6, gpu-3-mig-1g10gb-me-20-6",
    "12, 7g.80gb,   0,  0, gpu-12-mig-7g80gb-0-0",
    "1, 3g.40gb,    9,  4, gpu-1-mig-3g40gb-9-4",
  })
  void migNamesAreDnsLabelsThatParseBackToThePlacement(
      int minor, String profile, int id, int start, String expected) {
    String name = DeviceNames.mig(minor, profile, id, start);

    assertThat(name).isEqualTo(expected).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    assertThat(DeviceNames.parse(name))
        .contains(new DeviceNames.Parsed.Mig(minor, DeviceNames.profileLabel(profile), id, start));
  }

  @ParameterizedTest
  @CsvSource({
    "0, 7g.80gb, 0, 0, 1, gpu-0-mig-7g80gb-0-0-c1",
    "3, 1g.10gb+me, 20, 6, 0, gpu-3-mig-1g10gb-me-20-6-c0"
  })
  void computeInstancesOfASplitGpuInstanceHaveTheirOwnNames(
      int minor, String profile, int id, int start, int ci, String expected) {
    String name = DeviceNames.migComputeInstance(minor, profile, id, start, ci);

    assertThat(name).isEqualTo(expected).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    assertThat(DeviceNames.parse(name))
        .contains(
            new DeviceNames.Parsed.Mig(
                minor, DeviceNames.profileLabel(profile), id, start, java.util.OptionalInt.of(ci)));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 7, 15})
  void gpuNamesParseBackToTheMinor(int minor) {
    assertThat(DeviceNames.parse(DeviceNames.gpu(minor)))
        .contains(new DeviceNames.Parsed.FullGpu(minor));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "gpu", "gpu-", "gpu-x", "cpu-0", "gpu-0-mig-1g10gb-19", "GPU-0"})
  void otherNamesDoNotParse(String name) {
    assertThat(DeviceNames.parse(name)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"...", "+", ""})
  void profileNamesWithoutLettersOrDigitsAreRejected(String profile) {
    assertThatThrownBy(() -> DeviceNames.profileLabel(profile))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
