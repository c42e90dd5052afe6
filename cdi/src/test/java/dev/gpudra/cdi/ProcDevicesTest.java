package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcDevicesTest {
  @Test
  void readsCharacterDevicesOnly() {
    Map<String, Integer> chars = ProcDevices.characterDevices(Fixtures.PROC_DEVICES);

    assertThat(chars)
        .containsEntry("nvidia-frontend", 195)
        .containsEntry("nvidia-uvm", 508)
        .containsEntry("nvidia-caps", 511)
        .doesNotContainKey("loop")
        .doesNotContainKey("sd");
  }

  @Test
  void derivesOurMajorsFromTheListing() {
    assertThat(
            DeviceMajors.fromCharacterDevices(ProcDevices.characterDevices(Fixtures.PROC_DEVICES)))
        .isEqualTo(new DeviceMajors(195, 508, 511));
  }

  @Test
  void aNodeWithoutNvidiaCapsHasNoMigCapabilities() {
    DeviceMajors majors =
        DeviceMajors.fromCharacterDevices(Map.of("nvidia-frontend", 195, "nvidia-uvm", 240));

    assertThat(majors.hasCaps()).isFalse();
  }

  @Test
  void refusesWhenTheUvmModuleIsNotLoaded() {
    assertThatThrownBy(() -> DeviceMajors.fromCharacterDevices(Map.of("nvidia-frontend", 195)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nvidia-uvm");
  }

  @Test
  void refusesWhenTheNvidiaModuleIsNotLoaded() {
    assertThatThrownBy(() -> DeviceMajors.fromCharacterDevices(Map.of("nvidia-uvm", 508)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("NVIDIA kernel module is not loaded");
  }

  @Test
  void rejectsALineThatIsNotMajorAndName() {
    assertThatThrownBy(() -> ProcDevices.characterDevices("Character devices:\nnvidia 195\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2");
  }
}
