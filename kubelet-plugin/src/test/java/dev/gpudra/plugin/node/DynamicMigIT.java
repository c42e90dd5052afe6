package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.MigMinors;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.DynamicMig;
import dev.gpudra.plugin.PluginConfig;
import dev.gpudra.testkit.kubelet.CdiSpecCheck;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockMigState;
import dev.gpudra.testkit.node.MockMigState.GpuInstance;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Dynamic MIG on a fake 8x A100 node (mock NVML {@code a100-8x}; GPUs 0-2 in MIG mode), the plugin
 * a JVM of its own with {@code GPUDRA_DYNAMIC_MIG=true}, driven through the kubelet emulator. What
 * is on the GPUs is read from the mock's MIG state file and, for the MIG device's UUID, through a
 * second NVML session ({@code gpudra discover}).
 *
 * <p>A100 profiles used: 1g.10gb (id 19, placements 0-6 of size 1), 2g.20gb (id 14, at 0/2/4 of
 * size 2), 3g.40gb (id 9, at 0 and 4 of size 4).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnableKubernetesMockClient(crud = true, https = false)
class DynamicMigIT {

  private static final String NODE = "node-dyn";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir static Path root;
  private FakeNode node;
  private PluginProcess plugin;
  private KubeletEmulator kubelet;
  private DraCalls dra;
  private Claims claims;
  private List<GpuInstance> atStart;

  @BeforeAll
  void startPluginInDynamicMigMode() throws IOException {
    node = FakeNode.create(root, NODE, "a100-8x");
    claims = new Claims(client, "ml");
    startPlugin();
    atStart = MockMigState.read(node);
  }

  private void startPlugin() throws IOException {
    Map<String, String> env = node.env(client.getMasterUrl().toString());
    env.put(PluginConfig.DYNAMIC_MIG, "true");
    plugin = PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    kubelet = new KubeletEmulator(node.registryDir());
    dra = DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().get(0)));
  }

  @AfterAll
  void stopPlugin() {
    if (kubelet != null) {
      kubelet.close();
    }
    if (plugin != null) {
      plugin.close();
    }
  }

  private PodClaim claim(String name, String... devices) {
    return claims.allocated(
        name,
        java.util.Arrays.stream(devices).map(d -> Claims.result("mig", NODE, d, false)).toList(),
        List.of());
  }

  private Path spec(String uid) {
    return node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + uid + ".json");
  }

  private Checkpoint checkpoint() throws Exception {
    return CheckpointCodec.decode(Files.readAllBytes(node.checkpointFile()));
  }

  private Map<String, String> sliceVersions() {
    Map<String, String> versions = new TreeMap<>();
    for (ResourceSlice s : client.resources(ResourceSlice.class).list().getItems()) {
      versions.put(s.getMetadata().getName(), s.getMetadata().getResourceVersion());
    }
    return versions;
  }

  @Test
  void startsByDestroyingTheInstancesNoPreparedClaimOwns() {
    // The profile puts 4 instances on GPU 0, 4 on GPU 1 and one without compute instance on GPU 2.
    assertThat(atStart).isEmpty();
    assertThat(
            client.resources(ResourceSlice.class).list().getItems().stream()
                .flatMap(s -> s.getSpec().getDevices().stream())
                .map(d -> d.getName()))
        .contains("gpu-0-mig-1g10gb-19-0", "gpu-1-mig-3g40gb-9-4", "gpu-2-mig-7g80gb-0-0", "gpu-4");
  }

  @Test
  void preparingCreatesExactlyThatInstanceAndUnpreparingDestroysIt() throws Exception {
    PodClaim claim = claim("medium", "gpu-1-mig-3g40gb-9-4");

    Map<String, ClaimOutcome> first = dra.prepare(List.of(claim));

    assertThat(first.get(claim.uid()).error()).isEmpty();
    assertThat(CdiSpecCheck.problems(node.cdiDir(), first)).isEmpty();
    List<GpuInstance> onGpu1 = MockMigState.onGpu(node, 1);
    assertThat(onGpu1).hasSize(1);
    GpuInstance gi = onGpu1.getFirst();
    assertThat(gi.start()).isEqualTo(4);
    assertThat(gi.size()).isEqualTo(4);
    assertThat(gi.computeInstances()).hasSize(1);
    int ci = gi.computeInstances().getFirst();

    // Recorded in the checkpoint as created, with the ids NVML gave.
    DynamicMig recorded =
        checkpoint().claim(claim.uid()).orElseThrow().devices().getFirst().dynamicMig();
    assertThat(recorded.placementStart()).isEqualTo(4);
    assertThat(recorded.instance().gpuInstanceId()).isEqualTo(gi.id());
    assertThat(recorded.instance().computeInstanceId()).isEqualTo(ci);

    // The spec: the parent GPU's node, the instance's capability nodes, the MIG device's UUID as a
    // second NVML session sees it.
    MigMinors minors =
        MigMinors.parse(Files.readString(node.procRoot().resolve("driver/nvidia-caps/mig-minors")));
    String specText = Files.readString(spec(claim.uid()));
    assertThat(specText)
        .contains("\"/dev/nvidia1\"")
        .contains("/dev/nvidia-caps/nvidia-cap" + minors.gpuInstance(1, gi.id()).getAsInt() + "\"")
        .contains(
            "/dev/nvidia-caps/nvidia-cap"
                + minors.computeInstance(1, gi.id(), ci).getAsInt()
                + "\"");
    JsonNode gpu1 = AdminNvml.discover(node).get("gpus").get(1);
    List<JsonNode> migs =
        StreamSupport.stream(gpu1.get("migDevices").spliterator(), false).toList();
    assertThat(migs).hasSize(1);
    assertThat(migs.getFirst().get("profileName").asString()).isEqualTo("3g.40gb");
    String uuid = migs.getFirst().get("uuid").asString();
    assertThat(uuid).isEqualTo(recorded.instance().uuid());
    assertThat(specText).contains(uuid);

    // A repeated prepare is answered from the checkpoint: nothing new on the GPU.
    assertThat(dra.prepare(List.of(claim))).isEqualTo(first);
    assertThat(MockMigState.onGpu(node, 1)).containsExactly(gi);

    claims.delete(claim.name());
    assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).error()).isEmpty();
    assertThat(MockMigState.onGpu(node, 1)).isEmpty();
    assertThat(spec(claim.uid())).doesNotExist();
    assertThat(checkpoint().claim(claim.uid())).isEmpty();
    assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).error()).isEmpty();
  }

  @Test
  void twoClaimsOnDifferentPlacementsOfOneGpuGetAnInstanceEach() throws Exception {
    PodClaim small = claim("small", "gpu-2-mig-1g10gb-19-0");
    PodClaim pair = claim("pair", "gpu-2-mig-2g20gb-14-2", "gpu-2-mig-1g10gb-19-6");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(small, pair));

    assertThat(outcome.values()).allMatch(ClaimOutcome::ok);
    assertThat(CdiSpecCheck.problems(node.cdiDir(), outcome)).isEmpty();
    assertThat(MockMigState.onGpu(node, 2))
        .extracting(GpuInstance::start, GpuInstance::size)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(0, 1),
            org.assertj.core.groups.Tuple.tuple(2, 2),
            org.assertj.core.groups.Tuple.tuple(6, 1));

    assertThat(dra.unprepare(List.of(pair)).get(pair.uid()).ok()).isTrue();
    assertThat(MockMigState.onGpu(node, 2))
        .singleElement()
        .satisfies(gi -> assertThat(gi.start()).isZero());
    assertThat(dra.unprepare(List.of(small)).get(small.uid()).ok()).isTrue();
    assertThat(MockMigState.onGpu(node, 2)).isEmpty();
  }

  @Test
  void aPlacementTakenOutsideThePluginFailsTheClaimWithNvmlsAnswerAndLeavesNothing()
      throws Exception {
    // An administrator creates a 1g.10gb instance at slice 1 of GPU 0 while the plugin runs.
    int admins = AdminNvml.createInstance(node, 0, 19, 1, 1);
    PodClaim overlapping = claim("overlapping", "gpu-0-mig-3g40gb-9-0");
    PodClaim same = claim("same", "gpu-0-mig-1g10gb-19-1");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(overlapping, same));

    for (PodClaim c : List.of(overlapping, same)) {
      assertThat(outcome.get(c.uid()).error())
          .as(c.name())
          .contains("claim ml/" + c.name() + " (" + c.uid() + "): creating MIG device gpu-0-mig-")
          .contains(
              "failed at its GPU instance: nvmlDeviceCreateGpuInstanceWithPlacement failed:"
                  + " Insufficient Resources (NVML error 23)");
      assertThat(spec(c.uid())).doesNotExist();
      assertThat(checkpoint().claim(c.uid())).isEmpty();
    }
    assertThat(MockMigState.onGpu(node, 0))
        .singleElement()
        .satisfies(
            gi -> {
              assertThat(gi.id()).isEqualTo(admins);
              assertThat(gi.start()).isEqualTo(1);
            });

    // A placement beside it is free.
    PodClaim beside = claim("beside", "gpu-0-mig-3g40gb-9-4");
    assertThat(dra.prepare(List.of(beside)).get(beside.uid()).error()).isEmpty();
    assertThat(dra.unprepare(List.of(beside, overlapping, same)).values())
        .allMatch(ClaimOutcome::ok);
    assertThat(MockMigState.onGpu(node, 0)).extracting(GpuInstance::id).containsExactly(admins);
  }

  @Test
  void slicesStayTheSameWhileInstancesComeAndGoAndAcrossARestart() throws Exception {
    Map<String, String> before = sliceVersions();
    PodClaim kept = claim("kept", "gpu-1-mig-1g10gb-19-0");
    Map<String, ClaimOutcome> prepared = dra.prepare(List.of(kept));
    assertThat(prepared.get(kept.uid()).error()).isEmpty();
    List<GpuInstance> created = MockMigState.onGpu(node, 1);

    kubelet.close();
    plugin.close();
    startPlugin();

    // The completed claim's instance survives recovery, nothing else appears, the slices were not
    // rewritten, and the repeated prepare is answered as before.
    assertThat(MockMigState.onGpu(node, 1)).isEqualTo(created);
    assertThat(checkpoint().claim(kept.uid()).orElseThrow().state())
        .isEqualTo(ClaimState.PREPARE_COMPLETED);
    assertThat(dra.prepare(List.of(kept))).isEqualTo(prepared);
    assertThat(sliceVersions()).isEqualTo(before);

    assertThat(dra.unprepare(List.of(kept)).get(kept.uid()).ok()).isTrue();
    assertThat(MockMigState.onGpu(node, 1)).isEmpty();
    assertThat(sliceVersions()).isEqualTo(before);
  }
}
