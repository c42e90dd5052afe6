package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.kubelet.CdiSpecCheck;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fractional GPUs on a fake A100 node with {@code GPUDRA_FRACTIONAL_GPUS=true}: whole GPUs are
 * published shareable with consumable {@code memory} and {@code cores}; claims holding shares of
 * one GPU are all prepared, each answer carries its share ID, each share has a CDI device name of
 * its own, and each share's consumed capacity reaches its containers as MPS client limits. A share
 * whose consumed capacity the node cannot honour fails alone, naming the field.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnableKubernetesMockClient(crud = true, https = false)
class FractionalGpusIT {

  private static final String NODE = "node-frac";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir static Path root;
  private FakeNode node;
  private PluginProcess plugin;
  private KubeletEmulator kubelet;
  private DraCalls dra;
  private Claims claims;
  private String gpu4;

  @BeforeAll
  void startPlugin() throws IOException {
    node = FakeNode.create(root, NODE, "a100-8x");
    Map<String, String> env = new LinkedHashMap<>(node.env(client.getMasterUrl().toString()));
    env.put("GPUDRA_FRACTIONAL_GPUS", "true");
    plugin = PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    kubelet = new KubeletEmulator(node.registryDir());
    dra = DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().get(0)));
    claims = new Claims(client, "agents");
    gpu4 = node.gpuUuids().get(4);
  }

  @AfterAll
  void stopPlugin() {
    if (kubelet != null) {
      kubelet.close();
    }
    if (plugin != null) {
      plugin.close();
    }
    if (node != null) {
      MockTools.killDaemons(node.toolStateFile());
    }
  }

  private PodClaim share(String name, String device, String share, String memory, String cores) {
    DeviceRequestAllocationResult result = Claims.result("gpu", NODE, device, false);
    result.setShareID(share);
    Map<String, Quantity> consumed = new LinkedHashMap<>();
    consumed.put("memory", new Quantity(memory));
    consumed.put("cores", new Quantity(cores));
    result.setConsumedCapacity(consumed);
    return claims.allocated(name, List.of(result), List.of());
  }

  @Test
  void wholeGpusArePublishedShareableWithMemoryAndCoresPolicies() {
    Device gpu =
        client.resources(ResourceSlice.class).list().getItems().stream()
            .flatMap(s -> s.getSpec().getDevices().stream())
            .filter(d -> d.getName().equals("gpu-4"))
            .findFirst()
            .orElseThrow();

    assertThat(gpu.getAllowMultipleAllocations()).isTrue();
    var memory = gpu.getCapacity().get("memory");
    assertThat(memory.getRequestPolicy().getDefault()).isEqualTo(new Quantity("1Gi"));
    assertThat(memory.getRequestPolicy().getValidRange().getStep()).isEqualTo(new Quantity("1Gi"));
    assertThat(memory.getRequestPolicy().getValidRange().getMax()).isEqualTo(new Quantity("80Gi"));
    var cores = gpu.getCapacity().get("cores");
    assertThat(cores.getValue()).isEqualTo(new Quantity("100"));
    assertThat(cores.getRequestPolicy().getDefault()).isEqualTo(new Quantity("10"));
    assertThat(cores.getRequestPolicy().getValidRange().getMin()).isEqualTo(new Quantity("1"));
    // MIG devices are never shareable.
    assertThat(
            client.resources(ResourceSlice.class).list().getItems().stream()
                .flatMap(s -> s.getSpec().getDevices().stream())
                .filter(d -> d.getName().contains("-mig-")))
        .isNotEmpty()
        .allMatch(d -> d.getAllowMultipleAllocations() == null);
  }

  @Test
  void sharesOfOneGpuArePreparedSideBySideEachWithItsOwnIdNameAndLimits() throws IOException {
    String shareA = UUID.randomUUID().toString();
    String shareB = UUID.randomUUID().toString();
    PodClaim a = share("agent-a", "gpu-4", shareA, "8Gi", "10");
    PodClaim b = share("agent-b", "gpu-4", shareB, "16Gi", "30");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(a, b));

    assertThat(outcome.get(a.uid()).error()).isEmpty();
    assertThat(outcome.get(b.uid()).error()).isEmpty();
    String idA = "k8s.gpu.gpudra.dev/claim=" + a.uid() + "-gpu-4-" + shareA;
    assertThat(outcome.get(a.uid()).devices())
        .containsExactly(
            new ClaimOutcome.PreparedDeviceView(
                List.of("gpu"), NODE, "gpu-4", List.of(idA), shareA));
    assertThat(outcome.get(b.uid()).devices().get(0).shareId()).isEqualTo(shareB);
    assertThat(CdiSpecCheck.problems(node.cdiDir(), outcome)).isEmpty();
    assertThat(Files.readString(spec(a)))
        .contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=10")
        .contains("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + gpu4 + "=8192M")
        .contains("GPUDRA_DEVICE_GPU_4_SHARE_ID=" + shareA);
    assertThat(Files.readString(spec(b)))
        .contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=30")
        .contains("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + gpu4 + "=16384M");

    assertThat(dra.unprepare(List.of(a, b)).values()).allMatch(ClaimOutcome::ok);
  }

  @Test
  void aShareTheGpuCannotHonourFailsAloneNamingTheCapacity() {
    PodClaim tooMuch = share("greedy", "gpu-5", UUID.randomUUID().toString(), "81Gi", "10");
    PodClaim noCores = share("odd", "gpu-5", UUID.randomUUID().toString(), "1Gi", "0");
    PodClaim fine = share("fine", "gpu-5", UUID.randomUUID().toString(), "1Gi", "5");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(tooMuch, noCores, fine));

    assertThat(outcome.get(tooMuch.uid()).error())
        .contains("consumedCapacity.memory of device gpu-5 is 81Gi, outside 1Mi..");
    assertThat(outcome.get(noCores.uid()).error())
        .contains("consumedCapacity.cores of device gpu-5 is 0, outside 1..100 percent");
    assertThat(outcome.get(fine.uid()).error()).isEmpty();
    assertThat(dra.unprepare(List.of(fine)).get(fine.uid()).ok()).isTrue();
  }

  @Test
  void mpsAskedOnANodeWhoseStrategiesLeaveItOutFailsAloneNamingTheSetting() {
    PodClaim mps =
        claims.allocated(
            "wants-mps",
            List.of(Claims.result("gpu", NODE, "gpu-6", false)),
            List.of(
                Claims.config(
                    "FromClaim",
                    List.of(),
                    "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\","
                        + "\"sharing\":{\"strategy\":\"MPS\"}}")));
    PodClaim fine = share("beside", "gpu-7", UUID.randomUUID().toString(), "1Gi", "5");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(mps, fine));

    assertThat(outcome.get(mps.uid()).error())
        .contains("sharing strategy MPS requested for device gpu-6 is not enabled on this node")
        .contains("add MPS to GPUDRA_SHARING_STRATEGIES");
    assertThat(outcome.get(fine.uid()).error()).isEmpty();
    assertThat(MockTools.read(node.toolStateFile()).runningDaemons())
        .as("a share is enforced through its GPU's daemon all the same")
        .containsOnlyKeys(node.gpuUuids().get(7));
    assertThat(dra.unprepare(List.of(mps, fine)).values()).allMatch(ClaimOutcome::ok);
    assertThat(MockTools.read(node.toolStateFile()).runningDaemons()).isEmpty();
  }

  private Path spec(PodClaim claim) {
    return node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + claim.uid() + ".json");
  }
}
