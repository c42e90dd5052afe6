package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CdiNamesTest {
  private static final String UID = "0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e";

  @Test
  void specFileNameDerivesFromTheClaimUidAlone() {
    assertThat(CdiNames.specFileName(UID)).isEqualTo("k8s.gpu.gpudra.dev-claim_" + UID + ".json");
  }

  @Test
  void qualifiedIdIsKindEqualsClaimUidDashDeviceName() {
    assertThat(CdiNames.qualifiedId(UID, "gpu-3"))
        .isEqualTo("k8s.gpu.gpudra.dev/claim=" + UID + "-gpu-3");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7",
        "0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e0",
        "0b5e1f0c5a4d4f7e9c1d2f3a4b5c6d7e",
        "0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7g",
        "../5a4d-4f7e-9c1d-2f3a4b5c6d7e",
        "0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e/..",
        "0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e\n"
      })
  void rejectsAnythingButAUuidAsClaimUid(String uid) {
    assertThatThrownBy(() -> CdiNames.specFileName(uid))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid claim UID");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "GPU-0", "gpu_0", "gpu.0", "-gpu", "gpu-", "gpu/0", "a b"})
  void rejectsDeviceNamesThatAreNotDnsLabels(String name) {
    assertThatThrownBy(() -> CdiNames.qualifiedId(UID, name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid device name");
  }

  @Test
  void rejectsADeviceNameLongerThanALabel() {
    assertThatThrownBy(() -> CdiNames.qualifiedId(UID, "g".repeat(64)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(CdiNames.qualifiedId(UID, "g".repeat(63))).endsWith("g".repeat(63));
  }

  @ParameterizedTest
  @CsvSource({
    "k8s.gpu.gpudra.dev-claim_0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e.json, 0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e",
    "k8s.gpu.gpudra.dev-claim_0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e.yaml, ",
    "k8s.gpu.nvidia.com-claim_0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e.json, ",
    ".k8s.gpu.gpudra.dev-claim_0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e.json.1-2.tmp, ",
    "k8s.gpu.gpudra.dev-claim_common.json, "
  })
  void recognisesOnlyItsOwnSpecFileNames(String fileName, String uid) {
    assertThat(CdiNames.claimUidOfSpecFile(fileName)).isEqualTo(Optional.ofNullable(uid));
  }

  // The hand-written checks accept exactly what the documented patterns accept: every string near
  // a valid name (each position swapped for a character of interest, one character more or less)
  // and random strings over the names' alphabet, at every length around the limits.
  @Test
  void handWrittenUuidAndLabelChecksAgreeWithTheirPatterns() {
    java.util.regex.Pattern uid = java.util.regex.Pattern.compile(CdiNames.UID);
    java.util.regex.Pattern label = java.util.regex.Pattern.compile(CdiNames.DEVICE_NAME);
    java.util.regex.Pattern gpu = java.util.regex.Pattern.compile(PreparedDevice.Checks.GPU_UUID);
    String alphabet = "0189afAFgzGZ-_./ \n\u00e9";
    java.util.List<String> candidates = new java.util.ArrayList<>();
    for (String valid : java.util.List.of(UID, UID.toUpperCase(java.util.Locale.ROOT), "gpu-3")) {
      candidates.add(valid);
      candidates.add(valid.substring(1));
      candidates.add(valid + "0");
      candidates.add("-" + valid);
      candidates.add(valid + "-");
      for (int i = 0; i < valid.length(); i++) {
        for (int a = 0; a < alphabet.length(); a++) {
          candidates.add(valid.substring(0, i) + alphabet.charAt(a) + valid.substring(i + 1));
        }
      }
    }
    java.util.Random random = new java.util.Random(20261204L);
    for (int n = 0; n < 20_000; n++) {
      int length = random.nextInt(70);
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < length; i++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      candidates.add(text.toString());
    }
    candidates.add("a".repeat(63));
    candidates.add("a".repeat(64));
    candidates.add("");
    int accepted = 0;
    for (String text : candidates) {
      boolean isUid = uid.matcher(text).matches();
      assertThat(CdiNames.isUuid(text, 0)).as("uuid %s", text).isEqualTo(isUid);
      assertThat(CdiNames.isDnsLabel(text))
          .as("label %s", text)
          .isEqualTo(label.matcher(text).matches());
      boolean isGpu = gpu.matcher("GPU-" + text).matches();
      assertThat(isGpu).isEqualTo(isUid);
      assertThat(
              throwsNothing(() -> PreparedDevice.Checks.requireGpuUuid("GPU-" + text, "GPU UUID")))
          .as("GPU UUID %s", text)
          .isEqualTo(isGpu);
      accepted += isUid || label.matcher(text).matches() ? 1 : 0;
    }
    // Both sides of each check were exercised, not only the rejections.
    assertThat(accepted).isGreaterThan(100);
  }

  private static boolean throwsNothing(Runnable check) {
    try {
      check.run();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
