package dev.gpudra.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OpaqueConfigDecoderTest {

  private static String gpu(String sharing) {
    return "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\""
        + (sharing == null ? "" : ",\"sharing\":" + sharing)
        + "}";
  }

  private static String mig(String sharing) {
    return "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"MigDeviceConfig\""
        + (sharing == null ? "" : ",\"sharing\":" + sharing)
        + "}";
  }

  static Stream<Arguments> validConfigs() {
    return Stream.of(
        Arguments.of(gpu(null), new DeviceConfig.GpuConfig(new SharingConfig.Exclusive())),
        Arguments.of(
            gpu("{\"strategy\":\"Exclusive\"}"),
            new DeviceConfig.GpuConfig(new SharingConfig.Exclusive())),
        Arguments.of(
            gpu("{\"strategy\":\"TimeSlicing\"}"),
            new DeviceConfig.GpuConfig(new SharingConfig.TimeSlicing(TimeSliceInterval.DEFAULT))),
        Arguments.of(
            gpu("{\"strategy\":\"TimeSlicing\",\"timeSlicingConfig\":{\"interval\":\"Long\"}}"),
            new DeviceConfig.GpuConfig(new SharingConfig.TimeSlicing(TimeSliceInterval.LONG))),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\"}"),
            new DeviceConfig.GpuConfig(new SharingConfig.Mps(null, null, Map.of()))),
        Arguments.of(
            gpu(
                "{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":50,"
                    + "\"defaultPinnedDeviceMemoryLimit\":\"10Gi\","
                    + "\"perDevicePinnedMemoryLimits\":{\"0\":\"5Gi\","
                    + "\"GPU-12345678-1234-1234-1234-123456789abc\":1048576}}}"),
            new DeviceConfig.GpuConfig(
                new SharingConfig.Mps(
                    50,
                    10L << 30,
                    Map.of("0", 5L << 30, "GPU-12345678-1234-1234-1234-123456789abc", 1L << 20)))),
        Arguments.of(
            mig("{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":0}}"),
            new DeviceConfig.MigDeviceConfig(new SharingConfig.Mps(0, null, Map.of()))),
        Arguments.of(mig(null), new DeviceConfig.MigDeviceConfig(new SharingConfig.Exclusive())));
  }

  @ParameterizedTest
  @MethodSource("validConfigs")
  void decodesEveryValidShapeWithItsDefaults(String json, DeviceConfig expected) {
    assertThat(OpaqueConfigDecoder.decode(json)).isEqualTo(expected);
  }

  static Stream<Arguments> invalidConfigs() {
    return Stream.of(
        Arguments.of("not json", "", "not valid JSON"),
        Arguments.of("[]", "", "must be an object"),
        Arguments.of("{\"kind\":\"GpuConfig\"}", "apiVersion", "required"),
        Arguments.of(
            "{\"apiVersion\":\"gpu.gpudra.dev/v2\",\"kind\":\"GpuConfig\"}",
            "apiVersion",
            "must be gpu.gpudra.dev/v1"),
        Arguments.of(
            "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"VfioConfig\"}",
            "kind",
            "must be GpuConfig or MigDeviceConfig"),
        Arguments.of(
            "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":7}", "kind", "must be a string"),
        Arguments.of(
            "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"extra\":1}",
            "extra",
            "unknown field"),
        Arguments.of(gpu("\"MPS\""), "sharing", "must be an object"),
        Arguments.of(gpu("{}"), "sharing.strategy", "required"),
        Arguments.of(gpu("{\"strategy\":\"exclusive\"}"), "sharing.strategy", "must be"),
        Arguments.of(
            gpu("{\"strategy\":\"Exclusive\",\"mode\":1}"), "sharing.mode", "unknown field"),
        Arguments.of(
            gpu("{\"strategy\":\"Exclusive\",\"mpsConfig\":{}}"),
            "sharing.mpsConfig",
            "not allowed with strategy Exclusive"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"timeSlicingConfig\":{}}"),
            "sharing.timeSlicingConfig",
            "not allowed with strategy MPS"),
        Arguments.of(
            gpu("{\"strategy\":\"TimeSlicing\",\"mpsConfig\":{}}"),
            "sharing.mpsConfig",
            "not allowed with strategy TimeSlicing"),
        Arguments.of(
            gpu("{\"strategy\":\"TimeSlicing\",\"timeSlicingConfig\":{\"interval\":\"Huge\"}}"),
            "sharing.timeSlicingConfig.interval",
            "must be Default, Short, Medium or Long"),
        Arguments.of(
            gpu("{\"strategy\":\"TimeSlicing\",\"timeSlicingConfig\":{\"interval\":3}}"),
            "sharing.timeSlicingConfig.interval",
            "must be a string"),
        Arguments.of(
            gpu("{\"strategy\":\"TimeSlicing\",\"timeSlicingConfig\":{\"period\":\"Long\"}}"),
            "sharing.timeSlicingConfig.period",
            "unknown field"),
        Arguments.of(mig("{\"strategy\":\"TimeSlicing\"}"), "sharing.strategy", "not TimeSlicing"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":101}}"),
            "sharing.mpsConfig.defaultActiveThreadPercentage",
            "must be 0..100"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":-1}}"),
            "sharing.mpsConfig.defaultActiveThreadPercentage",
            "must be 0..100"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":\"50\"}}"),
            "sharing.mpsConfig.defaultActiveThreadPercentage",
            "must be an integer"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":5.5}}"),
            "sharing.mpsConfig.defaultActiveThreadPercentage",
            "must be an integer"),
        Arguments.of(
            gpu(
                "{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultPinnedDeviceMemoryLimit\":\"1Ki\"}}"),
            "sharing.mpsConfig.defaultPinnedDeviceMemoryLimit",
            "at least 1Mi"),
        Arguments.of(
            gpu(
                "{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultPinnedDeviceMemoryLimit\":\"ten\"}}"),
            "sharing.mpsConfig.defaultPinnedDeviceMemoryLimit",
            "must be a quantity"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultPinnedDeviceMemoryLimit\":true}}"),
            "sharing.mpsConfig.defaultPinnedDeviceMemoryLimit",
            "must be a quantity"),
        Arguments.of(
            gpu(
                "{\"strategy\":\"MPS\",\"mpsConfig\":{\"perDevicePinnedMemoryLimits\":"
                    + "{\"first\":\"1Gi\"}}}"),
            "sharing.mpsConfig.perDevicePinnedMemoryLimits[first]",
            "device index"),
        Arguments.of(
            gpu(
                "{\"strategy\":\"MPS\",\"mpsConfig\":{\"perDevicePinnedMemoryLimits\":"
                    + "{\"1\":\"12\"}}}"),
            "sharing.mpsConfig.perDevicePinnedMemoryLimits[1]",
            "at least 1Mi"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"mpsConfig\":{\"perDevicePinnedMemoryLimits\":[\"1Gi\"]}}"),
            "sharing.mpsConfig.perDevicePinnedMemoryLimits",
            "must be an object"),
        Arguments.of(
            gpu("{\"strategy\":\"MPS\",\"mpsConfig\":{\"threads\":5}}"),
            "sharing.mpsConfig.threads",
            "unknown field"),
        Arguments.of(
            "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"kind\":\"GpuConfig\"}",
            "",
            "not valid JSON"));
  }

  @ParameterizedTest
  @MethodSource("invalidConfigs")
  void rejectsInvalidConfigNamingTheField(String json, String field, String reason) {
    assertThatThrownBy(() -> OpaqueConfigDecoder.decode(json))
        .isInstanceOfSatisfying(
            InvalidConfigException.class, e -> assertThat(e.field()).isEqualTo(field))
        .hasMessageContaining(reason)
        .hasMessageContaining(field);
  }
}
