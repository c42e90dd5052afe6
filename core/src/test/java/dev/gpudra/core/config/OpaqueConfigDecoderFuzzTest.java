package dev.gpudra.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of the opaque-config decoder: any text a user can put into a claim's
 * {@code parameters} either decodes to a configuration that holds the decoder's promises or is
 * rejected with an {@link InvalidConfigException}; nothing else (no other exception, no hang)
 * reaches the plugin.
 */
class OpaqueConfigDecoderFuzzTest {

  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({
    "\"apiVersion\"",
    "\"gpu.gpudra.dev/v1\"",
    "\"kind\"",
    "\"GpuConfig\"",
    "\"MigDeviceConfig\"",
    "\"sharing\"",
    "\"strategy\"",
    "\"Exclusive\"",
    "\"TimeSlicing\"",
    "\"MPS\"",
    "\"timeSlicingConfig\"",
    "\"interval\"",
    "\"Short\"",
    "\"mpsConfig\"",
    "\"defaultActiveThreadPercentage\"",
    "\"defaultPinnedDeviceMemoryLimit\"",
    "\"perDevicePinnedMemoryLimits\"",
    "\"10Gi\"",
    "\"GPU-12345678-1234-1234-1234-123456789abc\"",
  })
  void decodesOrRejectsWithTypedError(byte[] input) {
    String json = new String(input, StandardCharsets.UTF_8);
    DeviceConfig config;
    try {
      config = OpaqueConfigDecoder.decode(json);
    } catch (InvalidConfigException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    // A MIG device has no time-slice policy; the decoder must never hand one out.
    if (config instanceof DeviceConfig.MigDeviceConfig mig) {
      assertThat(mig.sharing()).isNotInstanceOf(SharingConfig.TimeSlicing.class);
    }
  }
}
