package dev.gpudra.cdi.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CdiVersionTest {
  private static final ContainerEdits ENV = edits(List.of(), List.of(), List.of());

  static ContainerEdits edits(List<DeviceNode> nodes, List<Mount> mounts, List<Long> gids) {
    return new ContainerEdits(List.of("A=1"), nodes, List.of(), mounts, gids);
  }

  static Stream<Arguments> cases() {
    DeviceNode plain = DeviceNode.charDevice("/dev/nvidia0", 195, 0);
    DeviceNode withHostPath =
        new DeviceNode(
            "/dev/nvidia0", "/host/dev/nvidia0", null, null, null, null, null, null, null);
    Mount typed = new Mount("/a", "/b", List.of(), "tmpfs");
    return Stream.of(
        Arguments.of("plain content", "v/c", "gpu0", ENV, "0.3.0"),
        Arguments.of(
            "hook env and timeout",
            "v/c",
            "gpu0",
            new ContainerEdits(
                List.of(),
                List.of(),
                List.of(new Hook(HookName.PRESTART, "/h", List.of(), List.of("X=1"), 5)),
                List.of(),
                List.of()),
            "0.3.0"),
        Arguments.of(
            "mount with a type",
            "v/c",
            "gpu0",
            edits(List.of(), List.of(typed), List.of()),
            "0.4.0"),
        Arguments.of("device name starting with a digit", "v/c", "0gpu", ENV, "0.5.0"),
        Arguments.of(
            "device node with hostPath",
            "v/c",
            "gpu0",
            edits(List.of(withHostPath), List.of(), List.of()),
            "0.5.0"),
        Arguments.of("dot in the class", "v/c.x", "gpu0", ENV, "0.6.0"),
        Arguments.of(
            "additionalGids",
            "v/c",
            "gpu0",
            edits(List.of(plain), List.of(), List.of(44L)),
            "0.7.0"),
        Arguments.of(
            "additionalGids beat a digit name",
            "v/c",
            "0gpu",
            edits(List.of(), List.of(), List.of(44L)),
            "0.7.0"));
  }

  @ParameterizedTest(name = "{0} needs {4}")
  @MethodSource("cases")
  void minimumVersionFollowsTheReferenceRules(
      String why, String kind, String deviceName, ContainerEdits deviceEdits, String version) {
    CdiSpec spec =
        CdiSpec.atMinimumVersion(kind, List.of(new CdiDevice(deviceName, deviceEdits)), null);

    assertThat(spec.cdiVersion()).isEqualTo(version);
  }

  @Test
  void specLevelEditsCountToo() {
    CdiSpec spec =
        CdiSpec.atMinimumVersion(
            "v/c", List.of(new CdiDevice("gpu0", ENV)), edits(List.of(), List.of(), List.of(5L)));

    assertThat(spec.cdiVersion()).isEqualTo("0.7.0");
  }

  @Test
  void refusesADeclaredVersionTooOldForTheContent() {
    assertThatThrownBy(() -> new CdiSpec("0.3.0", "v/c", List.of(new CdiDevice("0gpu", ENV)), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 0.5.0");
  }

  @Test
  void acceptsANewerDeclaredVersion() {
    assertThat(new CdiSpec("1.1.0", "v/c", List.of(new CdiDevice("0gpu", ENV)), null).cdiVersion())
        .isEqualTo("1.1.0");
  }

  @Test
  void refusesUnknownVersions() {
    assertThatThrownBy(() -> CdiVersion.parse("0.9.0")).hasMessageContaining("unknown CDI version");
    assertThat(CdiVersion.parse("v0.6.0")).isEqualTo(CdiVersion.V0_6_0);
  }
}
