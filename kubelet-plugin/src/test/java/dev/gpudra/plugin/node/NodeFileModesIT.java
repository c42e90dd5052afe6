package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.plugin.UmaskPluginMain;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.kubelet.RegisteredPlugin;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nobody else on the node can touch the plugin's state: after a real prepare through the kubelet
 * emulator, every socket, socket directory, the checkpoint and its directory, and every CDI spec
 * are stat'ed, and none grants "other" users any access. Run once under the test's own umask and
 * once under umask 000, which proves that the plugin sets each mode rather than relying on the
 * umask. The plugin directory exists beforehand with {@code rwxr-xr-x}, as the kubelet creates a
 * hostPath of type {@code DirectoryOrCreate}.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class NodeFileModesIT {

  private static final String NODE = "node-a";
  private static final String INHERITED = "inherited";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path root;

  @ParameterizedTest(name = "umask {0}")
  @ValueSource(strings = {INHERITED, "000"})
  void noSocketDirectoryCheckpointOrSpecIsOpenToOthers(String umask) throws IOException {
    FakeNode node = FakeNode.create(root, NODE, "a100-8x");
    // The kubelet's plugins directory is its own (rwxr-x---); the driver's is a hostPath.
    Files.createDirectories(node.pluginDir());
    Files.setPosixFilePermissions(
        node.pluginDir().getParent(), PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(node.pluginDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = new LinkedHashMap<>(node.env(client.getMasterUrl().toString()));
    PluginProcess.Launch launch = PluginProcess.Launch.of(env);
    if (!umask.equals(INHERITED)) {
      env.put(UmaskPluginMain.UMASK, umask);
      launch = PluginProcess.Launch.of(env).withMainClass(UmaskPluginMain.class.getName());
    }
    Claims claims = new Claims(client, "ml");
    PodClaim claim =
        claims.allocated(
            "modes-" + umask, List.of(Claims.result("gpu", NODE, "gpu-4", false)), List.of());

    try (PluginProcess plugin =
            PluginProcess.start(launch, root.resolve("plugin.log"), Duration.ofSeconds(90));
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      if (!umask.equals(INHERITED)) {
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(plugin.pid()), "status")))
            .as("the plugin runs under the umask asked for")
            .contains("Umask:\t0" + umask);
      }
      RegisteredPlugin registered = kubelet.register(kubelet.discoverRegistrationSockets().get(0));
      DraCalls dra = new DraCalls(registered.draChannel(), "v1.DRAPlugin");
      ClaimOutcome prepared = dra.prepare(List.of(claim)).get(claim.uid());
      assertThat(prepared.error()).isEmpty();

      Map<Path, PosixFileAttributes> stat = new TreeMap<>();
      for (Path top : List.of(node.registryDir(), node.pluginDir().getParent(), node.cdiDir())) {
        statAll(top, stat);
      }
      Path spec = node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + claim.uid() + ".json");
      List<Path> sockets =
          stat.entrySet().stream()
              .filter(e -> e.getValue().isOther())
              .map(Map.Entry::getKey)
              .toList();

      assertThat(stat)
          .containsKeys(
              node.registryDir(), node.pluginDir(), node.checkpointFile(), node.cdiDir(), spec);
      assertThat(sockets).as("the DRA and the registration socket").hasSize(2);
      assertThat(stat.entrySet())
          .as("entries with any permission for others")
          .filteredOn(e -> grantsOthers(e.getValue()))
          .extracting(e -> e.getKey() + " " + mode(e.getValue()))
          .isEmpty();
      assertThat(mode(stat.get(node.checkpointFile()))).isEqualTo("rw-------");
      assertThat(mode(stat.get(spec))).isEqualTo("rw-r-----");
      assertThat(sockets).allSatisfy(s -> assertThat(mode(stat.get(s))).isEqualTo("rw-rw----"));
      assertThat(mode(stat.get(node.pluginDir()))).isEqualTo("rwxr-x---");

      assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
      assertThat(plugin.alive()).isTrue();
    }
  }

  /** Every entry under {@code top}, {@code top} included, stat'ed without following links. */
  private static void statAll(Path top, Map<Path, PosixFileAttributes> into) throws IOException {
    try (Stream<Path> all = Files.walk(top)) {
      for (Path path : all.toList()) {
        into.put(
            path, Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
      }
    }
  }

  private static boolean grantsOthers(PosixFileAttributes attributes) {
    return attributes.permissions().stream()
        .anyMatch(
            p ->
                p == PosixFilePermission.OTHERS_READ
                    || p == PosixFilePermission.OTHERS_WRITE
                    || p == PosixFilePermission.OTHERS_EXECUTE);
  }

  private static String mode(PosixFileAttributes attributes) {
    return PosixFilePermissions.toString(attributes.permissions());
  }
}
