package dev.gpudra.plugin.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.kubelet.KubeletEmulator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM, as the kubelet sends it to a terminating plugin pod, removes both sockets. */
class ShutdownOnSigtermIT {

  private static final String POD_UID = "7e7e7e7e-0000-4000-8000-000000000007";

  @TempDir Path root;

  @Test
  void sigtermStopsServingAndRemovesBothSockets() throws Exception {
    PluginSockets sockets = PluginUnderTest.sockets(root, POD_UID);
    Process plugin =
        new ProcessBuilder(
                ServingProcess.command(sockets.pluginDir(), sockets.registryDir(), POD_UID))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (var out =
            new BufferedReader(
                new InputStreamReader(plugin.getInputStream(), StandardCharsets.UTF_8));
        KubeletEmulator kubelet = new KubeletEmulator(sockets.registryDir())) {
      assertThat(out.readLine()).as("plugin process started").isEqualTo(ServingProcess.READY);
      assertThat(kubelet.register(sockets.registrationSocket()).endpoint())
          .isEqualTo(sockets.draSocket());

      plugin.destroy(); // SIGTERM

      assertThat(plugin.waitFor(30, TimeUnit.SECONDS)).as("plugin exited").isTrue();
      assertThat(plugin.exitValue()).as("exit status of a SIGTERM'd JVM").isEqualTo(128 + 15);
      assertThat(sockets.registrationSocket()).doesNotExist();
      assertThat(sockets.draSocket()).doesNotExist();
      assertThat(kubelet.discoverRegistrationSockets()).isEmpty();
    } finally {
      plugin.destroyForcibly();
    }
  }
}
