package dev.gpudra.plugin.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.names.DriverNames;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PluginSocketsTest {

  @ParameterizedTest(name = "POD_UID={0} -> {1}, {2}")
  @CsvSource(
      delimiter = '|',
      nullValues = "<unset>",
      textBlock =
          """
          <unset>                              | /var/lib/kubelet/plugins/gpu.gpudra.dev/dra.sock                                      | /var/lib/kubelet/plugins_registry/gpu.gpudra.dev-reg.sock
          '  '                                 | /var/lib/kubelet/plugins/gpu.gpudra.dev/dra.sock                                      | /var/lib/kubelet/plugins_registry/gpu.gpudra.dev-reg.sock
          0b6a1f3e-98d2-4c57-a0e1-5f6c7d8e9fa0 | /var/lib/kubelet/plugins/gpu.gpudra.dev/dra-0b6a1f3e-98d2-4c57-a0e1-5f6c7d8e9fa0.sock | /var/lib/kubelet/plugins_registry/gpu.gpudra.dev-0b6a1f3e-98d2-4c57-a0e1-5f6c7d8e9fa0-reg.sock
          """)
  void namesSocketsPerPodInTheKubeletsDefaultDirectories(
      String podUid, String draSocket, String registrationSocket) {
    Map<String, String> env = new HashMap<>();
    if (podUid != null) {
      env.put("POD_UID", podUid);
    }

    PluginSockets sockets = PluginSockets.fromEnv(env);

    assertThat(sockets.draSocket()).isEqualTo(Path.of(draSocket));
    assertThat(sockets.registrationSocket()).isEqualTo(Path.of(registrationSocket));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          KUBELET_PLUGIN_DIRECTORY_PATH    | /srv/kubelet/plugins/gpu.gpudra.dev/ | /srv/kubelet/plugins/gpu.gpudra.dev/dra.sock
          KUBELET_REGISTRAR_DIRECTORY_PATH | /srv/kubelet/plugins_registry        | /srv/kubelet/plugins_registry/gpu.gpudra.dev-reg.sock
          """)
  void takesEitherDirectoryFromItsKey(String key, String dir, String socket) {
    PluginSockets sockets = PluginSockets.fromEnv(Map.of(key, dir));

    assertThat(key.contains("REGISTRAR") ? sockets.registrationSocket() : sockets.draSocket())
        .isEqualTo(Path.of(socket));
  }

  @ParameterizedTest(name = "{0}={1} is refused")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          KUBELET_PLUGIN_DIRECTORY_PATH    | relative/plugins
          KUBELET_REGISTRAR_DIRECTORY_PATH | plugins_registry
          POD_UID                          | ../../etc
          POD_UID                          | uid with spaces
          KUBELET_REGISTRAR_DIRECTORY_PATH | /a-registry-directory-so-deep-that-the-socket-path-no-longer-fits/into-the-108-bytes-of-sun-path
          """)
  void refusesUnusableSettingsNamingTheKey(String key, String value) {
    assertThatThrownBy(() -> PluginSockets.fromEnv(Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(key);
  }

  private static final String UID_A = "0b6a1f3e-98d2-4c57-a0e1-5f6c7d8e9fa0";
  private static final String UID_B = "c4d5e6f7-0a1b-4c2d-8e3f-405162738495";

  @ParameterizedTest(name = "registry directory of {0} bytes -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          46 | gpu\\.gpudra\\.dev-0b6a1f3e-98d2-4c57-a0e1-5f6c7d8e9fa0-reg\\.sock
          47 | gpu\\.gpudra\\.dev-[A-Za-z0-9_-]{8}-reg\\.sock
          74 | gpu\\.gpudra\\.dev-[A-Za-z0-9_-]{8}-reg\\.sock
          75 | dra-[A-Za-z0-9_-]{16}-reg\\.sock
          77 | dra-[A-Za-z0-9_-]{16}-reg\\.sock
          """)
  void shortensTheRegistrationSocketNameOnlyWhenTheFullPodUidDoesNotFit(
      int dirBytes, String namePattern) {
    Path registry = Path.of("/" + "r".repeat(dirBytes - 1));

    Path socket = sockets(Path.of("/plugins"), registry, UID_A).registrationSocket();

    assertThat(socket.getParent()).isEqualTo(registry);
    assertThat(socket.getFileName().toString()).matches(namePattern);
    assertThat(socket.toString()).hasSizeLessThanOrEqualTo(107);
    assertThat(sockets(Path.of("/plugins"), registry, UID_A).registrationSocket())
        .as("stable across restarts of the pod")
        .isEqualTo(socket);
    assertThat(sockets(Path.of("/plugins"), registry, UID_B).registrationSocket())
        .as("distinct per pod")
        .isNotEqualTo(socket);
  }

  @ParameterizedTest(name = "plugin directory of {0} bytes -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          61 | dra-0b6a1f3e-98d2-4c57-a0e1-5f6c7d8e9fa0\\.sock
          62 | dra-[A-Za-z0-9_-]{8}\\.sock
          89 | dra-[A-Za-z0-9_-]{8}\\.sock
          """)
  void shortensTheDraSocketNameOnlyWhenTheFullPodUidDoesNotFit(int dirBytes, String namePattern) {
    Path pluginDir = Path.of("/" + "p".repeat(dirBytes - 1));

    Path socket = sockets(pluginDir, Path.of("/registry"), UID_A).draSocket();

    assertThat(socket.getFileName().toString()).matches(namePattern);
    assertThat(sockets(pluginDir, Path.of("/registry"), UID_B).draSocket()).isNotEqualTo(socket);
  }

  @ParameterizedTest(name = "{0} of {1} bytes is refused")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          KUBELET_PLUGIN_DIRECTORY_PATH    | 90
          KUBELET_REGISTRAR_DIRECTORY_PATH | 78
          """)
  void refusesDirectoriesTooDeepForAnySocketName(String key, int dirBytes) {
    String dir = "/" + "x".repeat(dirBytes - 1);

    assertThatThrownBy(() -> PluginSockets.fromEnv(Map.of(key, dir, "POD_UID", UID_A)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(key)
        .hasMessageContaining("too long");
  }

  private static PluginSockets sockets(Path pluginDir, Path registryDir, String podUid) {
    return new PluginSockets(
        DriverNames.DRIVER, pluginDir, registryDir, java.util.Optional.of(podUid));
  }
}
