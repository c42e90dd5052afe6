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
import dev.gpudra.testkit.node.MockMigState;
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
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The plugin as a separate JVM on a fake A100 node (mock NVML profile {@code a100-8x}: GPUs 4-7
 * whole, GPU 0 split into MIG devices), driven only through the kubelet emulator over its real
 * sockets, with the claims in the fabric8 mock API server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnableKubernetesMockClient(crud = true, https = false)
class PrepareUnprepareIT {

  private static final String NODE = "node-a";
  private static final String GPU_CONFIG =
      "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\"%s}";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir static Path root;
  private FakeNode node;
  private PluginProcess plugin;
  private KubeletEmulator kubelet;
  private RegisteredPlugin registered;
  private Claims claims;

  @BeforeAll
  void startPlugin() throws IOException {
    node = FakeNode.create(root, NODE, "a100-8x");
    plugin =
        PluginProcess.start(
            node.env(client.getMasterUrl().toString()),
            root.resolve("plugin.log"),
            Duration.ofSeconds(90));
    kubelet = new KubeletEmulator(node.registryDir());
    registered = kubelet.register(kubelet.discoverRegistrationSockets().get(0));
    claims = new Claims(client, "ml");
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

  private DraCalls calls(String service) {
    return new DraCalls(registered.draChannel(), service);
  }

  private Path spec(String uid) {
    return node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + uid + ".json");
  }

  @Test
  void registersWithBothDraVersionsV1First() {
    assertThat(registered.info().getSupportedVersionsList())
        .startsWith("v1.DRAPlugin", "v1beta1.DRAPlugin");
    assertThat(registered.chosenService()).isEqualTo("v1.DRAPlugin");
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1.DRAPlugin", "v1beta1.DRAPlugin"})
  void preparesRepeatsUnpreparesAndRepeatsIdempotently(String service) throws IOException {
    DraCalls dra = calls(service);
    String device = service.startsWith("v1.") ? "gpu-4" : "gpu-5";
    PodClaim claim =
        claims.allocated(
            "train-" + device, List.of(Claims.result("gpu", NODE, device, false)), List.of());

    Map<String, ClaimOutcome> first = dra.prepare(List.of(claim));

    assertThat(first.get(claim.uid()).error()).isEmpty();
    assertThat(first.get(claim.uid()).devices())
        .containsExactly(
            new ClaimOutcome.PreparedDeviceView(
                List.of("gpu"),
                NODE,
                device,
                List.of("k8s.gpu.gpudra.dev/claim=" + claim.uid() + "-" + device)));
    assertThat(CdiSpecCheck.problems(node.cdiDir(), first)).isEmpty();
    String specText = Files.readString(spec(claim.uid()));
    assertThat(specText).contains("/dev/nvidia" + device.substring(4));

    Map<String, ClaimOutcome> again = dra.prepare(List.of(claim));

    assertThat(again).isEqualTo(first);
    assertThat(Files.readString(spec(claim.uid()))).isEqualTo(specText);

    claims.delete(claim.name()); // unprepare must not need the claim
    assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).error()).isEmpty();
    assertThat(spec(claim.uid())).doesNotExist();
    assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).error()).isEmpty();
  }

  @Test
  void aRepeatedPrepareWritesAgainTheSpecDeletedBehindThePluginsBack() throws IOException {
    DraCalls dra = calls("v1.DRAPlugin");
    PodClaim claim =
        claims.allocated("respec", List.of(Claims.result("gpu", NODE, "gpu-4", false)), List.of());
    Map<String, ClaimOutcome> first = dra.prepare(List.of(claim));
    assertThat(first.get(claim.uid()).error()).isEmpty();
    String specText = Files.readString(spec(claim.uid()));

    Files.delete(spec(claim.uid())); // what the runtime would fail on: "unresolvable CDI devices"
    Map<String, ClaimOutcome> again = dra.prepare(List.of(claim));

    assertThat(again).isEqualTo(first);
    assertThat(spec(claim.uid())).exists();
    assertThat(Files.readString(spec(claim.uid()))).isEqualTo(specText);
    assertThat(CdiSpecCheck.problems(node.cdiDir(), again)).isEmpty();
    assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
    assertThat(spec(claim.uid())).doesNotExist();
  }

  @Test
  void unpreparingAClaimNeverPreparedSucceeds() {
    PodClaim unknown = new PodClaim("ml", UUID.randomUUID().toString(), "never-seen");

    assertThat(calls("v1.DRAPlugin").unprepare(List.of(unknown)).get(unknown.uid()).ok()).isTrue();
  }

  @Test
  void refusesADevicePreparedForAnotherClaimUntilItIsReleased() {
    DraCalls dra = calls("v1.DRAPlugin");
    PodClaim first =
        claims.allocated("holder", List.of(Claims.result("gpu", NODE, "gpu-7", false)), List.of());
    PodClaim second =
        claims.allocated("racer", List.of(Claims.result("gpu", NODE, "gpu-7", false)), List.of());

    assertThat(dra.prepare(List.of(first)).get(first.uid()).ok()).isTrue();
    ClaimOutcome refused = dra.prepare(List.of(second)).get(second.uid());

    assertThat(refused.error()).contains("gpu-7 is held by claim ml/holder (" + first.uid() + ")");
    assertThat(spec(second.uid())).doesNotExist();

    assertThat(dra.unprepare(List.of(first)).get(first.uid()).ok()).isTrue();
    assertThat(dra.prepare(List.of(second)).get(second.uid()).ok()).isTrue();
    assertThat(dra.unprepare(List.of(second)).get(second.uid()).ok()).isTrue();
  }

  @Test
  void preparesAdminAccessNextToTheClaimUsingTheDevice() {
    DraCalls dra = calls("v1.DRAPlugin");
    PodClaim user =
        claims.allocated("user", List.of(Claims.result("gpu", NODE, "gpu-6", false)), List.of());
    PodClaim monitor =
        claims.allocated("monitor", List.of(Claims.result("gpu", NODE, "gpu-6", true)), List.of());

    Map<String, ClaimOutcome> pod = dra.prepare(List.of(user, monitor));

    assertThat(pod.values()).allMatch(ClaimOutcome::ok);
    assertThat(CdiSpecCheck.problems(node.cdiDir(), pod)).isEmpty();
    assertThat(dra.unprepare(List.of(user, monitor)).values()).allMatch(ClaimOutcome::ok);
  }

  @Test
  void preparesAnExistingMigDeviceWithItsCapabilityNodes() throws IOException {
    String mig =
        client.resources(ResourceSlice.class).list().getItems().stream()
            .flatMap(s -> s.getSpec().getDevices().stream())
            .map(d -> d.getName())
            .filter(n -> n.startsWith("gpu-0-mig-1g10gb-"))
            .findFirst()
            .orElseThrow();
    PodClaim claim =
        claims.allocated("small", List.of(Claims.result("mig", NODE, mig, false)), List.of());
    DraCalls dra = calls("v1beta1.DRAPlugin");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(claim));

    assertThat(outcome.get(claim.uid()).error()).isEmpty();
    assertThat(CdiSpecCheck.problems(node.cdiDir(), outcome)).isEmpty();
    assertThat(Files.readString(spec(claim.uid()))).contains("/dev/nvidia-caps/nvidia-cap");
    assertThat(dra.unprepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
    // Static MIG never creates or destroys an instance: the mock's MIG state was never written.
    assertThat(MockMigState.changed(node)).isFalse();
  }

  @Test
  void failsEachBadClaimWithItsReasonWhileTheOthersInTheCallProceed() {
    DraCalls dra = calls("v1.DRAPlugin");
    PodClaim good =
        claims.allocated("good", List.of(Claims.result("gpu", NODE, "gpu-5", false)), List.of());
    PodClaim missing = new PodClaim("ml", UUID.randomUUID().toString(), "no-such-claim");
    PodClaim existing =
        claims.allocated("renamed", List.of(Claims.result("gpu", NODE, "gpu-4", false)), List.of());
    PodClaim uidMismatch = new PodClaim("ml", UUID.randomUUID().toString(), existing.name());
    PodClaim unallocated = claims.unallocated("pending");
    PodClaim otherNode =
        claims.allocated(
            "elsewhere", List.of(Claims.result("gpu", "node-b", "gpu-4", false)), List.of());
    PodClaim unknownDevice =
        claims.allocated("ghost", List.of(Claims.result("gpu", NODE, "gpu-42", false)), List.of());
    PodClaim malformed = new PodClaim("ml", "not-a-uid", "x");
    PodClaim badConfig =
        claims.allocated(
            "typo",
            List.of(Claims.result("gpu", NODE, "gpu-4", false)),
            List.of(
                Claims.config(
                    "FromClaim", List.of(), String.format(GPU_CONFIG, ",\"sharng\":{}"))));
    PodClaim timeSliced =
        claims.allocated(
            "sliced",
            List.of(Claims.result("gpu", NODE, "gpu-4", false)),
            List.of(
                Claims.config(
                    "FromClass",
                    List.of(),
                    String.format(GPU_CONFIG, ",\"sharing\":{\"strategy\":\"TimeSlicing\"}"))));

    Map<String, ClaimOutcome> outcome =
        dra.prepare(
            List.of(
                good,
                missing,
                uidMismatch,
                unallocated,
                otherNode,
                unknownDevice,
                malformed,
                badConfig,
                timeSliced));

    assertThat(outcome.get(good.uid()).ok()).isTrue();
    Map<PodClaim, String> expected =
        Map.of(
            missing, "ResourceClaim not found",
            uidMismatch, "with UID " + existing.uid(),
            unallocated, "not allocated",
            otherNode, "allocated in pool node-b, not on this node (node-a)",
            unknownDevice, "device gpu-42 does not exist on this node",
            malformed, "malformed request",
            badConfig, "field config[0].opaque.parameters.sharng: (FromClaim) unknown field",
            timeSliced, "sharing strategy TimeSlicing requested for device gpu-4 is not enabled");
    expected.forEach(
        (claim, reason) ->
            assertThat(outcome.get(claim.uid()).error()).as(claim.name()).contains(reason));
    Stream.of(missing, uidMismatch, unallocated, otherNode, unknownDevice, badConfig, timeSliced)
        .forEach(c -> assertThat(spec(c.uid())).as(c.name()).doesNotExist());
    assertThat(CdiSpecCheck.definedIds(node.cdiDir()))
        .allMatch(id -> id.contains(good.uid()), "only the good claim has a spec");
    assertThat(dra.unprepare(List.of(good)).get(good.uid()).ok()).isTrue();
  }

  @Test
  void concurrentPodsRacingForTheSameGpusGetEachGpuExactlyOnce() throws Exception {
    List<String> gpus = List.of("gpu-4", "gpu-5", "gpu-6", "gpu-7");
    List<PodClaim> racers = new java.util.ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String gpu = gpus.get(i % gpus.size());
      racers.add(
          claims.allocated(
              "racer-" + i, List.of(Claims.result("gpu", NODE, gpu, false)), List.of()));
    }
    DraCalls dra = calls("v1.DRAPlugin");
    Map<String, ClaimOutcome> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
    List<java.util.concurrent.Future<?>> calls = new java.util.ArrayList<>();
    try (var pods = java.util.concurrent.Executors.newFixedThreadPool(16)) {
      for (PodClaim racer : racers) {
        calls.add(pods.submit(() -> outcomes.putAll(dra.prepare(List.of(racer)))));
      }
    }
    for (var call : calls) {
      call.get(); // surfaces a failed call
    }

    List<PodClaim> winners = racers.stream().filter(r -> outcomes.get(r.uid()).ok()).toList();
    assertThat(winners).hasSize(gpus.size());
    assertThat(winners)
        .extracting(w -> outcomes.get(w.uid()).devices().get(0).deviceName())
        .containsExactlyInAnyOrderElementsOf(gpus);
    racers.stream()
        .filter(r -> !winners.contains(r))
        .forEach(
            r -> {
              assertThat(outcomes.get(r.uid()).error())
                  .contains("already prepared for another claim");
              assertThat(spec(r.uid())).doesNotExist();
            });
    assertThat(CdiSpecCheck.problems(node.cdiDir(), outcomes)).isEmpty();
    assertThat(dra.unprepare(racers).values()).allMatch(ClaimOutcome::ok);
  }

  @Test
  void servesPrometheusMetricsAndAHealthProbeThatUsesItsSockets() throws Exception {
    java.util.regex.Matcher port =
        java.util.regex.Pattern.compile("metrics and /healthz on port (\\d+)")
            .matcher(Files.readString(root.resolve("plugin.log")));
    String lastPort = null;
    while (port.find()) {
      lastPort = port.group(1);
    }
    assertThat(lastPort).as("metrics port logged").isNotNull();
    var http = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + lastPort;
    PodClaim claim =
        claims.allocated("metered", List.of(Claims.result("gpu", NODE, "gpu-6", false)), List.of());
    calls("v1.DRAPlugin").prepare(List.of(claim));

    var health =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/healthz")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    var metrics =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());

    assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("gpudra_prepare_requests_total{result=\"success\"}")
        .contains("gpudra_prepare_requests_total{result=\"error\"}")
        .contains("gpudra_prepare_duration_seconds_bucket")
        .contains("gpudra_unprepare_requests_total")
        .containsPattern("gpudra_prepared_claims [1-9]")
        .contains("gpudra_prepared_devices");
    assertThat(calls("v1.DRAPlugin").unprepare(List.of(claim)).get(claim.uid()).ok()).isTrue();
  }
}
