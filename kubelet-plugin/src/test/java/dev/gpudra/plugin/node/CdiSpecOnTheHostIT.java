package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a container runtime does with the plugin's CDI spec on a node: it bind-mounts every mount's
 * host path and runs every hook's program, and one that does not exist fails the container. A
 * fake-GPU node has no {@code nvidia-cdi-hook} and keeps its driver files in a directory of its
 * own, so the plugin configured for it ({@code GPUDRA_CDI_HOOK_PATH} empty, {@code
 * GPUDRA_HOST_DRIVER_ROOT} that directory) must write specs naming only host files that exist.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class CdiSpecOnTheHostIT {

  private static final String NODE = "node-h";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path root;

  /** Prepares one GPU with the plugin started under {@code extraEnv}; returns the spec. */
  private JsonNode preparedSpec(Map<String, String> extraEnv) throws IOException {
    FakeNode node = FakeNode.create(root, NODE, "a100-8x");
    Map<String, String> env = new LinkedHashMap<>(node.env(client.getMasterUrl().toString()));
    env.putAll(extraEnv);
    PluginProcess plugin =
        PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    try (plugin;
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      // The kubelet's plugin watcher retries a registration that times out; so does this test,
      // since a loaded machine can be slower than the kubelet's one-second GetInfo deadline.
      RegisteredPlugin registered =
          await()
              .atMost(Duration.ofSeconds(60))
              .ignoreExceptions()
              .until(
                  () -> kubelet.register(kubelet.discoverRegistrationSockets().get(0)),
                  r -> r != null);
      PodClaim claim =
          new Claims(client, "ml")
              .allocated(
                  "one-gpu-" + UUID.randomUUID(),
                  List.of(Claims.result("gpu", NODE, "gpu-4", false)),
                  List.of());

      Map<String, ClaimOutcome> outcome =
          new DraCalls(registered.draChannel(), "v1.DRAPlugin").prepare(List.of(claim));

      assertThat(outcome.get(claim.uid()).error()).isEmpty();
      return JSON.readTree(
          Files.readString(
              node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + claim.uid() + ".json")));
    }
  }

  private static List<JsonNode> all(JsonNode spec, String field) {
    List<JsonNode> found = new ArrayList<>();
    spec.findValues(field).forEach(list -> list.forEach(found::add));
    return found;
  }

  @Test
  void aNodeWithoutTheHookProgramGetsSpecsWithoutHooksAndWithExistingHostPaths()
      throws IOException {
    JsonNode spec = preparedSpec(Map.of("GPUDRA_CDI_HOOK_PATH", ""));

    assertThat(all(spec, "hooks")).isEmpty();
    List<JsonNode> mounts = all(spec, "mounts");
    assertThat(mounts).isNotEmpty();
    assertThat(mounts)
        .extracting(m -> m.get("hostPath").stringValue())
        .allSatisfy(hostPath -> assertThat(Path.of(hostPath)).exists());
  }

  @Test
  void hooksRunTheProgramWhereTheNodeHasIt() throws IOException {
    String hook = root.resolve("toolkit/nvidia-cdi-hook").toString();

    JsonNode spec = preparedSpec(Map.of("GPUDRA_CDI_HOOK_PATH", hook));

    assertThat(all(spec, "hooks"))
        .isNotEmpty()
        .extracting(h -> h.get("path").stringValue())
        .containsOnly(hook);
  }
}
