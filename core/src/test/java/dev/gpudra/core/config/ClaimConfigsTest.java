package dev.gpudra.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClaimConfigsTest {

  private static final String TS_SHORT =
      "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":"
          + "{\"strategy\":\"TimeSlicing\",\"timeSlicingConfig\":{\"interval\":\"Short\"}}}";
  private static final String TS_LONG = TS_SHORT.replace("Short", "Long");
  private static final String MIG_MPS =
      "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"MigDeviceConfig\",\"sharing\":"
          + "{\"strategy\":\"MPS\"}}";

  private static AllocatedConfig fromClass(String json, String... requests) {
    return new AllocatedConfig(ConfigSource.FROM_CLASS, List.of(requests), "gpu.gpudra.dev", json);
  }

  private static AllocatedConfig fromClaim(String json, String... requests) {
    return new AllocatedConfig(ConfigSource.FROM_CLAIM, List.of(requests), "gpu.gpudra.dev", json);
  }

  private static SharingConfig ts(TimeSliceInterval i) {
    return new SharingConfig.TimeSlicing(i);
  }

  static Stream<Arguments> precedence() {
    SharingConfig exclusive = new SharingConfig.Exclusive();
    return Stream.of(
        Arguments.of("no config: exclusive", List.of(), "gpu", exclusive),
        Arguments.of(
            "class config applies to all",
            List.of(fromClass(TS_SHORT)),
            "gpu",
            ts(TimeSliceInterval.SHORT)),
        Arguments.of(
            "claim beats class even when listed first",
            List.of(fromClaim(TS_LONG), fromClass(TS_SHORT)),
            "gpu",
            ts(TimeSliceInterval.LONG)),
        Arguments.of(
            "later claim entry beats earlier",
            List.of(fromClaim(TS_SHORT), fromClaim(TS_LONG)),
            "gpu",
            ts(TimeSliceInterval.LONG)),
        Arguments.of(
            "entry for another request does not apply",
            List.of(fromClaim(TS_SHORT, "other")),
            "gpu",
            exclusive),
        Arguments.of(
            "entry for the parent request covers its sub-request",
            List.of(fromClaim(TS_SHORT, "gpu")),
            "gpu/a100",
            ts(TimeSliceInterval.SHORT)),
        Arguments.of(
            "entry for one sub-request does not cover a sibling",
            List.of(fromClaim(TS_SHORT, "gpu/h100")),
            "gpu/a100",
            exclusive),
        Arguments.of(
            "entries for other drivers are ignored, even malformed",
            List.of(new AllocatedConfig(ConfigSource.FROM_CLAIM, List.of(), "x.example.com", "?")),
            "gpu",
            exclusive),
        Arguments.of(
            "unscoped MIG config skips full GPUs",
            List.of(fromClaim(TS_SHORT), fromClaim(MIG_MPS)),
            "gpu",
            ts(TimeSliceInterval.SHORT)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("precedence")
  void claimConfigBeatsClassConfigAndLaterBeatsEarlier(
      String name, List<AllocatedConfig> configs, String request, SharingConfig expected) {
    DeviceConfig config = ClaimConfigs.decode(configs).configFor(request, DeviceType.GPU, "gpu-0");

    assertThat(config.sharing()).isEqualTo(expected);
    assertThat(config).isInstanceOf(DeviceConfig.GpuConfig.class);
  }

  @Test
  void aConfigNamingTheRequestMustFitTheDeviceType() {
    ClaimConfigs configs = ClaimConfigs.decode(List.of(fromClaim(MIG_MPS, "gpu")));

    assertThatThrownBy(() -> configs.configFor("gpu", DeviceType.GPU, "gpu-3"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("config[0].opaque.parameters.kind")
        .hasMessageContaining("MigDeviceConfig cannot apply to device gpu-3 of type gpu");
  }

  @Test
  void aBrokenConfigFailsTheClaimEvenWhereItAppliesToNoDevice() {
    String broken = TS_SHORT.replace("Short", "Sometimes");

    assertThatThrownBy(
            () -> ClaimConfigs.decode(List.of(fromClass(TS_SHORT), fromClaim(broken, "unused"))))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("config[1].opaque.parameters.sharing.timeSlicingConfig.interval")
        .hasMessageContaining("FromClaim");
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void aStrategyTheNodeDoesNotRunFailsSayingWhichAndHow(String json, String strategy) {
    NodeSharingPolicy policy = NodeSharingPolicy.exclusiveOnly("GPUDRA_SHARING_STRATEGIES");
    DeviceConfig config = OpaqueConfigDecoder.decode(json);

    assertThatThrownBy(() -> policy.check(config, "gpu-1"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("sharing strategy " + strategy)
        .hasMessageContaining("gpu-1")
        .hasMessageContaining("GPUDRA_SHARING_STRATEGIES");
  }

  static Stream<Arguments> strategies() {
    return Stream.of(Arguments.of(TS_SHORT, "TimeSlicing"), Arguments.of(MIG_MPS, "MPS"));
  }

  @Test
  void exclusiveIsAlwaysApplied() {
    NodeSharingPolicy policy = NodeSharingPolicy.exclusiveOnly("K");
    policy.check(DeviceConfig.defaultFor(DeviceType.MIG), "gpu-0-mig-1g10gb-19-0");
    assertThat(policy.enabled()).containsExactly("Exclusive");
  }
}
