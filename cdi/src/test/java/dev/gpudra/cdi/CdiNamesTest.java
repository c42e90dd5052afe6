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
}
