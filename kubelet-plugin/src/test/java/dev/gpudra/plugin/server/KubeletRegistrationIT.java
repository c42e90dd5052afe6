package dev.gpudra.plugin.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.plugin.registration.RegistrationService;
import dev.gpudra.plugin.registration.RegistrationState;
import dev.gpudra.proto.registration.v1.PluginInfo;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.RegisteredPlugin;
import dev.gpudra.testkit.kubelet.RegistrationRejectedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubelet finds, registers and reaches the plugin over the real sockets. */
class KubeletRegistrationIT {

  private static final String POD_UID = "3f1c2a9e-5b7d-4e21-9c0a-1d2e3f4a5b6c";

  @TempDir Path root;

  @Test
  void kubeletFindsTheRegistrationSocketAndRegistersTheDriverOnItsDraSocket() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID);
        KubeletEmulator kubelet = new KubeletEmulator(PluginUnderTest.registryDir(root))) {

      assertThat(kubelet.discoverRegistrationSockets())
          .containsExactly(plugin.sockets.registrationSocket());

      RegisteredPlugin registered = kubelet.register(kubelet.discoverRegistrationSockets().get(0));

      PluginInfo info = registered.info();
      assertThat(info.getType()).isEqualTo("DRAPlugin");
      assertThat(info.getName()).isEqualTo("gpu.gpudra.dev");
      assertThat(info.getEndpoint()).isEqualTo(plugin.sockets.draSocket().toString());
      assertThat(plugin.sockets.draSocket()).hasParent(plugin.sockets.pluginDir());
      assertThat(info.getSupportedVersionsList())
          .containsExactly(
              "v1.DRAPlugin",
              "v1beta1.DRAPlugin",
              "v1.DRAResourceHealth",
              "v1alpha1.DRAResourceHealth");
      assertThat(registered.chosenService()).isEqualTo("v1.DRAPlugin");
      assertThat(plugin.servers.registrationState())
          .isEqualTo(new RegistrationState(true, Optional.empty()));
    }
  }

  @Test
  void registrationIsPendingUntilTheKubeletReports() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID)) {
      assertThat(plugin.servers.registrationState())
          .isEqualTo(RegistrationState.NOT_YET_REGISTERED);
    }
  }

  @Test
  void rejectedRegistrationIsLoggedAndTheKubeletCanRetry() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID);
        KubeletEmulator kubelet = new KubeletEmulator(PluginUnderTest.registryDir(root))) {
      Path socket = plugin.servers.registrationSocket();

      String log =
          capturingStderr(
              () ->
                  kubelet.notifyRegistrationStatus(
                      socket, false, "plugin validation failed: driver name taken"));

      assertThat(log)
          .contains("REJECTED")
          .contains("gpu.gpudra.dev")
          .contains("plugin validation failed: driver name taken");
      assertThat(plugin.servers.registrationState())
          .isEqualTo(
              new RegistrationState(
                  false, Optional.of("plugin validation failed: driver name taken")));

      RegisteredPlugin retried = kubelet.register(socket);

      assertThat(retried.info().getName()).isEqualTo("gpu.gpudra.dev");
      assertThat(plugin.servers.registrationState().registered()).isTrue();
      assertThat(plugin.servers.registrationState().lastError())
          .contains("plugin validation failed: driver name taken");
    }
  }

  @Test
  void kubeletRejectsAPluginOfferingNoServiceItKnowsAndThePluginRecordsWhy() throws Exception {
    PluginSockets sockets = PluginUnderTest.sockets(root, POD_UID);
    RegistrationService outdated =
        new RegistrationService(DriverNames.DRIVER, sockets.draSocket(), List.of("v1alpha4.Node"));
    try (var factory = new UnixSocketServerFactory(Duration.ofSeconds(1));
        var registration = factory.serve(sockets.registrationSocket(), List.of(outdated));
        var kubelet = new KubeletEmulator(sockets.registryDir())) {

      assertThatThrownBy(() -> kubelet.register(registration.path()))
          .isInstanceOf(RegistrationRejectedException.class)
          .hasMessageContaining("v1alpha4.Node");

      assertThat(outdated.state().registered()).isFalse();
      assertThat(outdated.state().lastError())
          .get()
          .asString()
          .contains("plugin validation failed");
    }
  }

  @Test
  void registrationSocketNeverAppearsWhenTheDraSocketCannotBeServed() throws Exception {
    PluginSockets sockets = PluginUnderTest.sockets(root, POD_UID);
    Files.createDirectories(sockets.draSocket().getParent());
    Files.writeString(sockets.draSocket(), "not a socket");

    assertThatThrownBy(() -> PluginUnderTest.start(root, POD_UID))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(sockets.draSocket().toString());

    assertThat(new KubeletEmulator(sockets.registryDir()).discoverRegistrationSockets()).isEmpty();
  }

  @Test
  void draSocketIsWithdrawnWhenTheRegistrationSocketCannotBeServed() throws Exception {
    PluginSockets sockets = PluginUnderTest.sockets(root, POD_UID);
    Files.createDirectories(sockets.registryDir());
    Files.writeString(sockets.registrationSocket(), "not a socket");

    assertThatThrownBy(() -> PluginUnderTest.start(root, POD_UID))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(sockets.registrationSocket().toString());

    assertThat(sockets.draSocket()).doesNotExist();
  }

  private static String capturingStderr(Runnable action) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    original.print(text);
    return text;
  }
}
