package dev.gpudra.cdi.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpecModelValidationTest {
  private static final ContainerEdits SOME =
      new ContainerEdits(List.of("A=1"), null, null, null, null);

  @ParameterizedTest
  @CsvSource({
    "gpu0, true",
    "0gpu, true",
    "a, true",
    "a:b.c_d-e, true",
    "uid-gpu-0, true",
    "-a, false",
    "a-, false",
    "a/b, false",
    "a=b, false",
    "a b, false",
    "'', false",
    "é, false"
  })
  void deviceNamesFollowTheCdiCharacterRules(String name, boolean valid) {
    assertThat(CdiNameRules.isValidDeviceName(name)).isEqualTo(valid);
  }

  @ParameterizedTest
  @CsvSource({
    "k8s.gpu.gpudra.dev, true",
    "claim, true",
    "a, true",
    "0vendor, false",
    "vendor-, false",
    "ven:dor, false",
    "'', false"
  })
  void vendorAndClassNamesFollowTheCdiCharacterRules(String name, boolean valid) {
    assertThat(CdiNameRules.isValidVendorOrClass(name)).isEqualTo(valid);
  }

  @ParameterizedTest
  @ValueSource(strings = {"noslash", "/claim", "vendor/", "ven dor/claim", "vendor/cl/aim"})
  void rejectsBadKinds(String kind) {
    assertThatThrownBy(
            () -> CdiSpec.atMinimumVersion(kind, List.of(new CdiDevice("d", SOME)), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid CDI kind");
  }

  @Test
  void rejectsDuplicateDeviceNames() {
    assertThatThrownBy(
            () ->
                CdiSpec.atMinimumVersion(
                    "v/c", List.of(new CdiDevice("d", SOME), new CdiDevice("d", SOME)), null))
        .hasMessageContaining("duplicate CDI device name d");
  }

  @Test
  void rejectsASpecWithoutDevices() {
    assertThatThrownBy(() -> CdiSpec.atMinimumVersion("v/c", List.of(), null))
        .hasMessageContaining("at least one device");
  }

  @Test
  void rejectsADeviceWithoutEdits() {
    assertThatThrownBy(() -> new CdiDevice("d", ContainerEdits.NONE))
        .hasMessageContaining("no container edits");
  }

  @ParameterizedTest
  @ValueSource(strings = {"NOEQUALS", "=value", ""})
  void rejectsEnvEntriesWithoutAKey(String entry) {
    assertThatThrownBy(() -> new ContainerEdits(List.of(entry), null, null, null, null))
        .hasMessageContaining("KEY=value");
  }

  @Test
  void rejectsTwoNodesAtOnePath() {
    DeviceNode n = DeviceNode.charDevice("/dev/nvidia0", 195, 0);
    assertThatThrownBy(() -> new ContainerEdits(null, List.of(n, n), null, null, null))
        .hasMessageContaining("duplicate device node path");
  }

  @Test
  void rejectsTwoMountsAtOneContainerPath() {
    Mount m = Mount.bind("/a", "/b", List.of());
    Mount other = Mount.bind("/c", "/b", List.of());
    assertThatThrownBy(() -> new ContainerEdits(null, null, null, List.of(m, other), null))
        .hasMessageContaining("duplicate mount containerPath");
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "-1, 0", "195, -1"})
  void rejectsCharNodesWithoutUsableNumbers(long major, long minor) {
    assertThatThrownBy(() -> DeviceNode.charDevice("/dev/x", major, minor))
        .hasMessageContaining("major > 0 and minor >= 0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "rwx", "a"})
  void rejectsCgroupPermissionsOutsideRwm(String permissions) {
    assertThatThrownBy(
            () ->
                new DeviceNode(
                    "/dev/x", null, DeviceType.CHAR, 1L, 1L, null, permissions, null, null))
        .hasMessageContaining("permissions");
  }

  @Test
  void rejectsAMountWithARelativeOrEscapingPath() {
    assertThatThrownBy(() -> Mount.bind("/a", "b", List.of()))
        .hasMessageContaining("containerPath");
    assertThatThrownBy(() -> Mount.bind("/a/../../etc", "/b", List.of()))
        .hasMessageContaining("hostPath");
  }

  @Test
  void rejectsAHookWithARelativePath() {
    assertThatThrownBy(() -> new Hook(HookName.CREATE_CONTAINER, "bin/hook", null, null, null))
        .hasMessageContaining("hook path");
  }
}
