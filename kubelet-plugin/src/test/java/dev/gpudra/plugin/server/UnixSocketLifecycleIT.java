package dev.gpudra.plugin.server;

import static java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_READ;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE;
import static java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE;
import static java.nio.file.attribute.PosixFilePermission.OWNER_READ;
import static java.nio.file.attribute.PosixFilePermission.OWNER_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.RegisteredPlugin;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Socket files and directories: creation, permissions, stale leftovers, removal, coexistence. */
class UnixSocketLifecycleIT {

  private static final String OLD_POD = "11111111-1111-4111-8111-111111111111";
  private static final String NEW_POD = "22222222-2222-4222-8222-222222222222";

  @TempDir Path root;

  @Test
  void createsMissingDirectoriesAndSocketsWithoutAnyAccessForOthers() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, OLD_POD)) {
      for (Path dir : Set.of(plugin.sockets.pluginDir(), plugin.sockets.registryDir())) {
        assertThat(Files.getPosixFilePermissions(dir))
            .as("directory %s", dir)
            .contains(OWNER_READ, OWNER_WRITE, OWNER_EXECUTE)
            .doesNotContain(OTHERS_READ, OTHERS_WRITE, OTHERS_EXECUTE)
            .isSubsetOf(UnixSocketServerFactory.DIRECTORY_PERMISSIONS);
      }
      for (Path socket : Set.of(plugin.servers.draSocket(), plugin.servers.registrationSocket())) {
        assertThat(isSocket(socket)).as("%s is a socket", socket).isTrue();
        assertThat(Files.getPosixFilePermissions(socket))
            .as("socket %s", socket)
            .isEqualTo(UnixSocketServerFactory.SOCKET_PERMISSIONS)
            .doesNotContain(OTHERS_READ, OTHERS_WRITE, OTHERS_EXECUTE, GROUP_EXECUTE);
      }
    }
  }

  @Test
  void leavesThePermissionsOfAnExistingRegistryDirectoryAlone() throws Exception {
    Path registry = Files.createDirectories(PluginUnderTest.registryDir(root));
    Set<PosixFilePermission> kubeletsMode =
        Set.of(OWNER_READ, OWNER_WRITE, OWNER_EXECUTE, GROUP_EXECUTE);
    Files.setPosixFilePermissions(registry, kubeletsMode);

    try (PluginUnderTest plugin = PluginUnderTest.start(root, OLD_POD)) {
      assertThat(plugin.servers.registrationSocket().getParent()).isEqualTo(registry);
      assertThat(Files.getPosixFilePermissions(registry)).isEqualTo(kubeletsMode);
    }
  }

  @Test
  void anExistingPluginDirectoryOpenToOthersLosesOnlyTheirAccess() throws Exception {
    // A hostPath of type DirectoryOrCreate is made rwxr-xr-x by the kubelet.
    Path pluginDir = PluginUnderTest.sockets(root, OLD_POD).pluginDir();
    Files.createDirectories(pluginDir);
    Files.setPosixFilePermissions(pluginDir, PosixFilePermissions.fromString("rwxrwxr-x"));

    try (PluginUnderTest plugin = PluginUnderTest.start(root, OLD_POD)) {
      assertThat(plugin.servers.draSocket().getParent()).isEqualTo(pluginDir);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pluginDir)))
          .isEqualTo("rwxrwx---");
    }
  }

  @Test
  void createsEveryMissingLevelWithoutAccessForOthers() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, OLD_POD)) {
      Path plugins = plugin.sockets.pluginDir().getParent();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(plugins)))
          .isEqualTo(PosixFilePermissions.toString(UnixSocketServerFactory.DIRECTORY_PERMISSIONS));
    }
  }

  @Test
  void replacesAStaleSocketLeftByACrashedRun() throws Exception {
    PluginSockets sockets = PluginUnderTest.sockets(root, OLD_POD);
    leaveStaleSocket(sockets.draSocket());
    leaveStaleSocket(sockets.registrationSocket());

    try (PluginUnderTest plugin = PluginUnderTest.start(root, OLD_POD);
        KubeletEmulator kubelet = new KubeletEmulator(sockets.registryDir())) {
      RegisteredPlugin registered = kubelet.register(sockets.registrationSocket());

      assertThat(registered.endpoint()).isEqualTo(plugin.servers.draSocket());
      assertThat(registered.watchHealth().next(java.time.Duration.ofSeconds(5))).isPresent();
    }
  }

  @Test
  void refusesToReplaceAFileThatIsNotASocket() throws Exception {
    PluginSockets sockets = PluginUnderTest.sockets(root, OLD_POD);
    Files.createDirectories(sockets.pluginDir());
    Files.writeString(sockets.draSocket(), "somebody's data");

    assertThatThrownBy(() -> PluginUnderTest.start(root, OLD_POD))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a unix socket");

    assertThat(sockets.draSocket()).hasContent("somebody's data");
  }

  @Test
  void removesBothSocketsOnStopAndToleratesASecondStop() throws Exception {
    PluginUnderTest plugin = PluginUnderTest.start(root, OLD_POD);
    Path dra = plugin.servers.draSocket();
    Path registration = plugin.servers.registrationSocket();

    plugin.close();
    plugin.servers.close();

    assertThat(dra).doesNotExist();
    assertThat(registration).doesNotExist();
    assertThat(new KubeletEmulator(plugin.sockets.registryDir()).discoverRegistrationSockets())
        .isEmpty();
  }

  @Test
  void oldAndNewPluginPodsServeSideBySideAndStopIndependently() throws Exception {
    try (KubeletEmulator kubelet = new KubeletEmulator(PluginUnderTest.registryDir(root))) {
      PluginUnderTest oldPlugin = PluginUnderTest.start(root, OLD_POD);
      try (PluginUnderTest newPlugin = PluginUnderTest.start(root, NEW_POD)) {

        assertThat(kubelet.discoverRegistrationSockets())
            .containsExactlyInAnyOrder(
                oldPlugin.servers.registrationSocket(), newPlugin.servers.registrationSocket());
        assertThat(kubelet.register(oldPlugin.servers.registrationSocket()).endpoint())
            .isEqualTo(oldPlugin.servers.draSocket());
        assertThat(kubelet.register(newPlugin.servers.registrationSocket()).endpoint())
            .isEqualTo(newPlugin.servers.draSocket());
        assertThat(oldPlugin.servers.draSocket()).isNotEqualTo(newPlugin.servers.draSocket());

        oldPlugin.close();

        assertThat(kubelet.discoverRegistrationSockets())
            .containsExactly(newPlugin.servers.registrationSocket());
        assertThat(
                kubelet
                    .register(newPlugin.servers.registrationSocket())
                    .watchHealth()
                    .next(java.time.Duration.ofSeconds(5)))
            .isPresent();
      } finally {
        oldPlugin.close();
      }
    }
  }

  /** A socket file nobody listens on, as a killed process leaves it. */
  private static void leaveStaleSocket(Path path) throws IOException {
    Files.createDirectories(path.getParent());
    try (ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.bind(UnixDomainSocketAddress.of(path));
    }
    assertThat(isSocket(path)).as("stale socket left at %s", path).isTrue();
  }

  private static boolean isSocket(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .isOther();
  }
}
