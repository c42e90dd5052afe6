package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Start-up with a damaged checkpoint, after a reboot and with stray CDI specs: the plugin always
 * starts, and its state afterwards is what the API server and the kubelet's repeated calls say.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class CheckpointRecoveryIT {

  private static final String NODE = "node-a";

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path root;

  private FakeNode node;

  private PluginProcess start() throws IOException {
    return PluginProcess.start(
        node.env(client.getMasterUrl().toString()),
        root.resolve("plugin.log"),
        Duration.ofSeconds(90));
  }

  private DraCalls register(KubeletEmulator kubelet) throws IOException {
    return DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().get(0)));
  }

  private Path spec(String uid) {
    return node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + uid + ".json");
  }

  private String log() throws IOException {
    return Files.readString(root.resolve("plugin.log"), StandardCharsets.UTF_8);
  }

  static Stream<Arguments> damage() {
    // Inside the snapshot's header: an append cut short at the end is not damage.
    UnaryOperator<byte[]> truncate = b -> Arrays.copyOf(b, 30);
    UnaryOperator<byte[]> flip =
        b -> {
          byte[] c = b.clone();
          c[c.length - 20] ^= 0x04;
          return c;
        };
    UnaryOperator<byte[]> future =
        b ->
            new String(b, StandardCharsets.UTF_8)
                .replaceFirst("GPUDRA-CHECKPOINT 2 ", "GPUDRA-CHECKPOINT 3 ")
                .getBytes(StandardCharsets.UTF_8);
    UnaryOperator<byte[]> empty = b -> new byte[0];
    return Stream.of(
        Arguments.of("truncated", truncate, "truncated"),
        Arguments.of("bit-flipped", flip, "checksum mismatch"),
        Arguments.of("future version", future, "version 3"),
        Arguments.of("empty", empty, "empty"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damage")
  void aDamagedCheckpointIsMovedAsideAndRebuiltFromSpecsAndTheApiServer(
      String name, UnaryOperator<byte[]> damage, String reason) throws Exception {
    node = FakeNode.create(root, NODE, "a100-8x");
    Claims claims = new Claims(client, "ml");
    PodClaim kept =
        claims.allocated("kept", List.of(Claims.result("gpu", NODE, "gpu-4", false)), List.of());
    PodClaim gone =
        claims.allocated("gone", List.of(Claims.result("gpu", NODE, "gpu-5", false)), List.of());
    Map<String, ClaimOutcome> before;
    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      before = register(kubelet).prepare(List.of(kept, gone));
      assertThat(before.values()).allMatch(ClaimOutcome::ok);
    } // SIGKILL
    claims.delete(gone.name());
    Files.write(node.checkpointFile(), damage.apply(Files.readAllBytes(node.checkpointFile())));

    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      DraCalls dra = register(kubelet);

      assertThat(log()).contains("is unusable (").contains(reason);
      try (Stream<Path> files = Files.list(node.pluginDir())) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .anyMatch(f -> f.startsWith("checkpoint.damaged-"));
      }
      assertThat(spec(gone.uid())).doesNotExist();
      assertThat(spec(kept.uid())).exists();
      assertThat(dra.prepare(List.of(kept)).get(kept.uid())).isEqualTo(before.get(kept.uid()));
      PodClaim intruder =
          claims.allocated(
              "intruder", List.of(Claims.result("gpu", NODE, "gpu-4", false)), List.of());
      assertThat(dra.prepare(List.of(intruder)).get(intruder.uid()).error())
          .contains("gpu-4 is held by claim ml/kept");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formerStates")
  void aCheckpointOfTheFormerVersionOrCutShortByACrashKeepsItsClaims(
      String name, UnaryOperator<byte[]> former) throws Exception {
    node = FakeNode.create(root, NODE, "a100-8x");
    Claims claims = new Claims(client, "ml");
    PodClaim first =
        claims.allocated("first", List.of(Claims.result("gpu", NODE, "gpu-4", false)), List.of());
    PodClaim second =
        claims.allocated("second", List.of(Claims.result("gpu", NODE, "gpu-5", false)), List.of());
    Map<String, ClaimOutcome> before;
    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      before = register(kubelet).prepare(List.of(first, second));
      assertThat(before.values()).allMatch(ClaimOutcome::ok);
    } // SIGKILL
    Files.write(node.checkpointFile(), former.apply(Files.readAllBytes(node.checkpointFile())));

    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(log()).doesNotContain("is unusable (");
      assertThat(Files.readString(node.checkpointFile(), StandardCharsets.UTF_8))
          .startsWith("GPUDRA-CHECKPOINT 2 ");
      // Answered from the checkpoint as before: the same devices and CDI ids.
      assertThat(register(kubelet).prepare(List.of(first, second))).isEqualTo(before);
    }
  }

  static Stream<Arguments> formerStates() {
    UnaryOperator<byte[]> version1 =
        b -> {
          try {
            Path file = Files.createTempFile(root(), "v1", null);
            Files.write(file, b);
            LegacyCheckpoint.rewriteAsVersion1(file);
            return Files.readAllBytes(file);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        };
    // Ten more bytes of a third change, never synced: what a kill during an append leaves.
    UnaryOperator<byte[]> cutShort =
        b -> {
          byte[] tail = "GPUDRA-CHA".getBytes(StandardCharsets.US_ASCII);
          byte[] c = Arrays.copyOf(b, b.length + tail.length);
          System.arraycopy(tail, 0, c, b.length, tail.length);
          return c;
        };
    return Stream.of(
        Arguments.of("version 1, written before the upgrade", version1),
        Arguments.of("an append cut short", cutShort));
  }

  private static Path root() throws IOException {
    return Files.createTempDirectory("gpudra-legacy");
  }

  @Test
  void afterARebootNothingIsPreparedAndTheKubeletsRepeatPreparesAfresh() throws Exception {
    node = FakeNode.create(root, NODE, "a100-8x");
    Claims claims = new Claims(client, "ml");
    PodClaim claim =
        claims.allocated("job", List.of(Claims.result("gpu", NODE, "gpu-6", false)), List.of());
    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(register(kubelet).prepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
    }
    node.newBoot();

    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(log()).contains("node rebooted since the checkpoint was written");
      assertThat(spec(claim.uid())).doesNotExist();

      assertThat(register(kubelet).prepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
      assertThat(spec(claim.uid())).exists();
    }
  }

  @Test
  void aCompletedClaimsSpecDeletedBehindThePluginsBackIsWrittenAgainAtStart() throws Exception {
    node = FakeNode.create(root, NODE, "a100-8x");
    Claims claims = new Claims(client, "ml");
    PodClaim claim =
        claims.allocated("held", List.of(Claims.result("gpu", NODE, "gpu-5", false)), List.of());
    String prepared;
    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(register(kubelet).prepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
      prepared = Files.readString(spec(claim.uid()));
    }
    Files.delete(spec(claim.uid()));

    // A real kubelet holds the claim prepared and sends no prepare: start-up alone restores it.
    try (PluginProcess plugin = start()) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(spec(claim.uid())).exists();
      assertThat(Files.readString(spec(claim.uid()))).isEqualTo(prepared);
      assertThat(log())
          .contains("its CDI spec was missing; wrote it again")
          .contains("1 missing CDI specs written again");
      Matcher port = Pattern.compile("metrics and /healthz on port (\\d+)").matcher(log());
      String last = null;
      while (port.find()) {
        last = port.group(1);
      }
      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + last + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body()).contains("gpudra_cdi_specs_restored_total 1.0");
    }
  }

  @Test
  void aMissingSpecOfAClaimGoneFromTheApiServerIsLeftToTheKubeletsCalls() throws Exception {
    node = FakeNode.create(root, NODE, "a100-8x");
    Claims claims = new Claims(client, "ml");
    PodClaim claim =
        claims.allocated("gone", List.of(Claims.result("gpu", NODE, "gpu-7", false)), List.of());
    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(register(kubelet).prepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
    }
    Files.delete(spec(claim.uid()));
    claims.delete("gone");

    try (PluginProcess plugin = start();
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(spec(claim.uid())).doesNotExist();
      assertThat(log())
          .contains("cannot write the missing CDI spec of claim")
          .contains("it will be prepared again");
      // The kubelet's unprepare of the claim (its pod is gone) still succeeds and leaves nothing.
      assertThat(register(kubelet).unprepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
      assertThat(spec(claim.uid())).doesNotExist();
    }
  }

  @Test
  void removesCdiSpecsTheCheckpointDoesNotHold() throws Exception {
    node = FakeNode.create(root, NODE, "a100-8x");
    try (PluginProcess plugin = start()) {
      assertThat(plugin.alive()).isTrue();
    }
    String stray = UUID.randomUUID().toString();
    Files.createDirectories(node.cdiDir());
    Files.writeString(
        spec(stray), "{\"cdiVersion\":\"0.5.0\",\"kind\":\"k8s.gpu.gpudra.dev/claim\"}");
    Path foreign = node.cdiDir().resolve("nvidia.com-gpu.json");
    Files.writeString(foreign, "{}");

    try (PluginProcess plugin = start()) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      assertThat(spec(stray)).doesNotExist();
      assertThat(foreign).exists();
    }
  }
}
