package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.node.PluginProcess;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time-slicing on a fake A100 node whose plugin enables {@code TimeSlicing}: the GPU's time slice,
 * as the mock {@code nvidia-smi} in the driver root holds it, is set at prepare, kept while any
 * claim sharing the GPU remains and restored to Default when the last one leaves; a second claim
 * asking another interval for the same GPU fails alone with a message naming both; MIG devices and
 * a failing tool are refused with the reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnableKubernetesMockClient(crud = true, https = false)
class TimeSlicingIT {

  private static final String NODE = "node-ts";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir static Path root;
  private FakeNode node;
  private PluginProcess plugin;
  private KubeletEmulator kubelet;
  private DraCalls dra;
  private Claims claims;
  private Map<Integer, String> uuids;

  @BeforeAll
  void startPlugin() throws IOException {
    node = FakeNode.create(root, NODE, "a100-8x");
    Map<String, String> env = new LinkedHashMap<>(node.env(client.getMasterUrl().toString()));
    env.put("GPUDRA_SHARING_STRATEGIES", "Exclusive,TimeSlicing");
    uuids = node.gpuUuids();
    // gpu-6 refuses the Long time slice, as nvidia-smi does where a GPU does not support it.
    env.put(MockTools.FAIL_ENV, uuids.get(6) + " --set-timeslice 3");
    plugin = PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    kubelet = new KubeletEmulator(node.registryDir());
    dra = DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().get(0)));
    claims = new Claims(client, "agents");
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

  private PodClaim sliced(String name, String device, String interval) {
    return claims.allocated(
        name,
        List.of(Claims.result("gpu", NODE, device, false)),
        List.of(
            Claims.config(
                "FromClaim",
                List.of(),
                "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":"
                    + "{\"strategy\":\"TimeSlicing\",\"timeSlicingConfig\":{\"interval\":\""
                    + interval
                    + "\"}}}")));
  }

  private MockTools.State tools() {
    return MockTools.read(node.toolStateFile());
  }

  @Test
  void sliceIsSetAtPrepareKeptWhileSharedAndRestoredAfterTheLastClaim() throws IOException {
    String gpu = uuids.get(4);
    PodClaim first = sliced("agent-a", "gpu-4", "Long");
    PodClaim second = sliced("agent-b", "gpu-4", "Long");

    assertThat(dra.prepare(List.of(first)).get(first.uid()).error()).isEmpty();
    assertThat(tools().timeSlice(gpu)).as("Long is 3").isEqualTo(3);
    assertThat(tools().computeMode(gpu)).isEqualTo("DEFAULT");
    assertThat(dra.prepare(List.of(second)).get(second.uid()).error()).isEmpty();
    assertThat(Files.readString(spec(second)))
        .contains("GPUDRA_DEVICE_GPU_4_TIMESLICE_INTERVAL=Long");

    assertThat(dra.unprepare(List.of(first)).get(first.uid()).ok()).isTrue();
    assertThat(tools().timeSlice(gpu)).as("agent-b still shares the GPU").isEqualTo(3);
    assertThat(dra.unprepare(List.of(second)).get(second.uid()).ok()).isTrue();
    assertThat(tools().timeSlice(gpu)).as("restored to Default").isZero();
    assertThat(MockTools.log(node.toolStateFile()))
        .containsSubsequence(
            "nvidia-smi compute-policy -i " + gpu + " --set-timeslice 3",
            "nvidia-smi compute-policy -i " + gpu + " --set-timeslice 0");
  }

  @Test
  void secondClaimAskingAnotherIntervalFailsAloneNamingBoth() {
    String gpu = uuids.get(5);
    PodClaim holder = sliced("holder", "gpu-5", "Short");
    PodClaim other = sliced("other", "gpu-5", "Medium");
    PodClaim bystander = sliced("bystander", "gpu-7", "Medium");
    assertThat(dra.prepare(List.of(holder)).get(holder.uid()).error()).isEmpty();

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(other, bystander));

    assertThat(outcome.get(other.uid()).error())
        .contains("device gpu-5 asks time-slice interval Medium")
        .contains("runs interval Short for claim agents/holder")
        .contains("ask for Short or for another GPU");
    assertThat(spec(other)).doesNotExist();
    assertThat(outcome.get(bystander.uid()).error()).isEmpty();
    assertThat(tools().timeSlice(gpu)).as("the holder's Short stays").isEqualTo(1);
    assertThat(tools().timeSlice(uuids.get(7))).as("Medium").isEqualTo(2);
    assertThat(dra.unprepare(List.of(holder, other, bystander)).values())
        .allMatch(ClaimOutcome::ok);
    assertThat(tools().timeSlice(gpu)).isZero();
    assertThat(tools().timeSlice(uuids.get(7))).isZero();
  }

  @Test
  void refusesTimeSlicingOnMigDevicesAndReportsTheToolsRefusal() {
    PodClaim mig =
        claims.allocated(
            "mig-sliced",
            List.of(Claims.result("gpu", NODE, "gpu-0-mig-1g10gb-19-4", false)),
            List.of(
                Claims.config(
                    "FromClaim",
                    List.of(),
                    "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"MigDeviceConfig\","
                        + "\"sharing\":{\"strategy\":\"TimeSlicing\"}}")));
    PodClaim unsupported = sliced("unsupported", "gpu-6", "Long");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(mig, unsupported));

    assertThat(outcome.get(mig.uid()).error())
        .contains("MigDeviceConfig supports Exclusive and MPS, not TimeSlicing");
    assertThat(outcome.get(unsupported.uid()).error())
        .contains("setting time-slice interval Long on device gpu-6")
        .contains("Setting is not supported for GPU");
    assertThat(spec(unsupported)).doesNotExist();
    assertThat(tools().timeSlice(uuids.get(6))).isZero();
    // Nothing was left on record: unpreparing a failed claim is a no-op that succeeds.
    assertThat(dra.unprepare(List.of(unsupported)).get(unsupported.uid()).ok()).isTrue();
  }

  private Path spec(PodClaim claim) {
    return node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + claim.uid() + ".json");
  }
}
