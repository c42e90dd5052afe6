package dev.gpudra.cdi.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CdiJsonTest {
  @Test
  void usesTheSpecificationsFieldNamesAndOmitsEmptyFields() {
    DeviceNode node =
        new DeviceNode("/dev/x", "/host/x", DeviceType.CHAR, 10L, 0L, 0666, "rw", 0L, 44L);
    Hook hook = new Hook(HookName.CREATE_CONTAINER, "/bin/h", List.of("h"), List.of("K=V"), 3);
    ContainerEdits edits =
        new ContainerEdits(
            List.of("A=1"),
            List.of(node),
            List.of(hook),
            List.of(Mount.bind("/a", "/b", List.of("ro"))),
            List.of(44L));
    CdiSpec spec = CdiSpec.atMinimumVersion("v/c", List.of(new CdiDevice("d", edits)), null);

    String json = new String(CdiJson.encode(spec), StandardCharsets.UTF_8);

    assertThat(json)
        .contains(
            "\"cdiVersion\" : \"0.7.0\"",
            "\"kind\" : \"v/c\"",
            "\"devices\"",
            "\"containerEdits\"",
            "\"deviceNodes\"",
            "\"hostPath\" : \"/host/x\"",
            "\"type\" : \"c\"",
            "\"major\" : 10",
            "\"minor\" : 0",
            "\"fileMode\" : 438",
            "\"permissions\" : \"rw\"",
            "\"uid\" : 0",
            "\"gid\" : 44",
            "\"hookName\" : \"createContainer\"",
            "\"timeout\" : 3",
            "\"containerPath\" : \"/b\"",
            "\"additionalGids\" : [ 44 ]")
        .doesNotContain("\"type\" : null", "\"options\" : [ ]");
    // Spec-level edits are empty here and must not appear at all.
    assertThat(json.indexOf("\"containerEdits\""))
        .isEqualTo(json.lastIndexOf("\"containerEdits\""));
    assertThat(json).endsWith("}\n");
  }

  @Test
  void decodesWhatItEncodes() {
    ContainerEdits edits =
        new ContainerEdits(
            List.of("A=1"),
            List.of(DeviceNode.charDevice("/dev/nvidia0", 195, 0)),
            null,
            null,
            null);
    CdiSpec spec = CdiSpec.atMinimumVersion("v/c", List.of(new CdiDevice("0d", edits)), edits);

    assertThat(CdiJson.decode(CdiJson.encode(spec))).isEqualTo(spec);
  }

  @Test
  void decodingRunsValidation() {
    String tooOld =
        "{\"cdiVersion\":\"0.3.0\",\"kind\":\"v/c\",\"devices\":[{\"name\":\"0d\","
            + "\"containerEdits\":{\"env\":[\"A=1\"]}}]}";

    assertThatThrownBy(() -> CdiJson.decode(tooOld.getBytes(StandardCharsets.UTF_8)))
        .hasRootCauseInstanceOf(IllegalArgumentException.class)
        .rootCause()
        .hasMessageContaining("needs 0.5.0");
  }
}
