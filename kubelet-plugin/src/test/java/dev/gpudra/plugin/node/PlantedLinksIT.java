package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.kubelet.CdiSpecCheck;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.kubelet.RegisteredPlugin;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.OutsideTargets;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Somebody who can plant symbolic links in the CDI directory or the checkpoint directory, where a
 * claim's spec, the checkpoint or one of their temporary files will be written, gets nothing out of
 * it: through a real start, prepare and unprepare of the plugin, a file outside stays byte-for-byte
 * unchanged and a directory outside stays empty.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class PlantedLinksIT {

  private static final String NODE = "node-a";
  private static final String OUTSIDE_CONTENT = "root:x:0:0:root:/root:/bin/bash\n";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path root;

  @Test
  void linksInTheCdiAndCheckpointDirectoriesNeverLeadOutside() throws IOException {
    FakeNode node = FakeNode.create(root, NODE, "a100-8x");
    OutsideTargets outside = OutsideTargets.create(root, "passwd", OUTSIDE_CONTENT);
    Path outsideFile = outside.file();
    Path outsideDir = outside.dir();
    PodClaim claim =
        new Claims(client, "ml")
            .allocated("linked", List.of(Claims.result("gpu", NODE, "gpu-4", false)), List.of());
    String specName = "k8s.gpu.gpudra.dev-claim_" + claim.uid() + ".json";
    Path spec = node.cdiDir().resolve(specName);
    Files.createDirectories(node.cdiDir());
    Files.createDirectories(node.pluginDir());
    // The claim's spec, and every name a temporary file had before names were random.
    Files.createSymbolicLink(spec, outsideFile);
    Files.createSymbolicLink(node.cdiDir().resolve("." + specName + ".tmp"), outsideDir);
    // The checkpoint and its former fixed temporary name.
    Files.createSymbolicLink(node.checkpointFile(), outsideDir);
    Files.createSymbolicLink(node.pluginDir().resolve(".checkpoint.tmp"), outsideFile);

    try (PluginProcess plugin =
            PluginProcess.start(
                node.env(client.getMasterUrl().toString()),
                root.resolve("plugin.log"),
                Duration.ofSeconds(90));
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      RegisteredPlugin registered = kubelet.register(kubelet.discoverRegistrationSockets().get(0));
      DraCalls dra = new DraCalls(registered.draChannel(), "v1.DRAPlugin");

      Map<String, ClaimOutcome> prepared = dra.prepare(List.of(claim));

      assertThat(prepared.get(claim.uid()).error()).isEmpty();
      assertThat(CdiSpecCheck.problems(node.cdiDir(), prepared)).isEmpty();
      assertThat(Files.isRegularFile(spec, LinkOption.NOFOLLOW_LINKS)).isTrue();
      assertThat(Files.isRegularFile(node.checkpointFile(), LinkOption.NOFOLLOW_LINKS)).isTrue();
      assertThat(outsideFile).hasContent(OUTSIDE_CONTENT);
      assertThat(OutsideTargets.names(outsideDir)).isEmpty();
      assertThat(OutsideTargets.names(node.pluginDir()))
          .as("the link at the checkpoint was moved aside, the one at .checkpoint.tmp removed")
          .filteredOn(name -> name.startsWith("checkpoint.damaged-"))
          .singleElement()
          .satisfies(
              name -> assertThat(Files.isSymbolicLink(node.pluginDir().resolve(name))).isTrue());
      assertThat(OutsideTargets.names(node.pluginDir())).doesNotContain(".checkpoint.tmp");

      // A link swapped in for the written spec is unlinked by unprepare, not followed.
      Files.delete(spec);
      Files.createSymbolicLink(spec, outsideFile);

      assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).error()).isEmpty();

      assertThat(Files.exists(spec, LinkOption.NOFOLLOW_LINKS)).isFalse();
      assertThat(outsideFile).hasContent(OUTSIDE_CONTENT);
      assertThat(OutsideTargets.names(outsideDir)).isEmpty();
      assertThat(plugin.alive()).isTrue();
    }
  }
}
