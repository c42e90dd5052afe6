package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.NodeAgent;
import dev.gpudra.e2e.nodes.TestClaims;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.e2e.scale.MetricsText;
import dev.gpudra.plugin.health.HealthConfig;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.nvml.MockNvmlFaults;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kube-apiserver goes away for a minute (system property {@code gpudra.e2e.outageSeconds}, default
 * 60) while a fake 8x A100 node's kubelet keeps calling the plugin: one claim is unprepared, one is
 * prepared (retried every 2 s, as the kubelet retries, each call with the kubelet's 45 s deadline),
 * a fatal XID changes the node's slices, and a claim is pending. When the API server is back,
 * within 30 s: the retried prepare has succeeded exactly once and its CDI spec is there, the slices
 * show the XID taint, the controller's metrics and Events cover a claim created after the outage,
 * neither the plugin nor the controller restarted, and both counted the outage in {@code
 * gpudra_api_errors_total}. The times are printed.
 */
class ApiServerOutageIT {

  private static final String NAMESPACE = "api-outage";
  private static final String NODE = "outage-a100";
  private static final String DRIVER = FakeGpuNode.DRIVER;
  private static final Duration OUTAGE =
      Duration.ofSeconds(Long.getLong("gpudra.e2e.outageSeconds", 60));
  private static final Duration RECOVERY = Duration.ofSeconds(30);
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Duration KUBELET_RETRY = Duration.ofSeconds(2);
  private static final int FATAL_XID = 79;

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.inNamespace(NAMESPACE)
          .withNode(NODE, "a100-8x", Map.of(HealthConfig.CHECK_INTERVAL, "1"));

  private final KubernetesClient client = scenario.client();
  private final FakeGpuNode node = scenario.node(NODE);

  /**
   * kube-scheduler and kube-controller-manager back off their watches while the API server is away
   * and may act on stale caches for tens of seconds after it returns (seen: a later scenario's pods
   * bound to this class's node after it was deleted). Later scenarios of the run share them, so
   * they start afresh once the outage is over.
   */
  @AfterEach
  void restartSchedulerAndControllerManager() {
    for (ComponentProcess component : scenario.plane().components()) {
      if (component.name().equals("kube-scheduler")
          || component.name().equals("kube-controller-manager")) {
        component.close();
        component.startAgain();
      }
    }
  }

  @Test
  void aMinuteWithoutTheApiServerIsCaughtUpWithin30sWithoutARestart() throws Exception {
    // Its own Lease namespace: a controller of an earlier scenario may still hold "default".
    DriverControllerProcess controller =
        scenario.closeAfterAll(
            DriverControllerProcess.start(
                scenario.plane(),
                NAMESPACE,
                List.of("-Xmx256m"),
                Map.of("GPUDRA_EXPLAIN_PENDING_AFTER", "PT1S")));
    // The kubelet's side of the claims that are not a pod's: a second registration.
    KubeletEmulator kubelet =
        scenario.closeAfterAll(new KubeletEmulator(node.files().registryDir()));
    DraCalls dra = DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().getFirst()));

    // Before: a running pod, a claim prepared for the kubelet, one allocated but not yet prepared,
    // and a claim no node can satisfy, explained by the controller.
    client.resource(oneGpu("running")).inNamespace(NAMESPACE).create();
    client
        .resource(TestPods.usingClaim("running", "gpu", "running", Optional.of(NODE)))
        .inNamespace(NAMESPACE)
        .create();
    TestPods.awaitRunning(client, NAMESPACE, "running", TIMEOUT, scenario.nodes());
    PodClaim unprepareDuring = allocated("unprepare-during", "gpu-7");
    PodClaim prepareDuring = allocated("prepare-during", "gpu-6");
    assertThat(dra.prepare(List.of(unprepareDuring)).get(unprepareDuring.uid()).ok()).isTrue();
    createPending("pending-before");
    awaitClaimPendingEvent("pending-before");

    List<String> publishedBefore = deviceNames();
    long pluginPid = node.pluginPid();
    long controllerPid = controller.pid();
    double pluginErrorsBefore =
        apiErrors(URI.create("http://" + node.metricsTarget() + "/metrics"));
    double controllerErrorsBefore = apiErrors(controller.metricsUri());

    // The outage.
    ComponentProcess apiserver =
        scenario.plane().components().stream()
            .filter(c -> c.name().equals("kube-apiserver"))
            .findFirst()
            .orElseThrow();
    long down = System.nanoTime();
    apiserver.close();
    System.out.printf("[e2e] outage: kube-apiserver stopped for %d s%n", OUTAGE.toSeconds());

    Map<String, ClaimOutcome> unprepared = dra.unprepare(List.of(unprepareDuring));
    List<String> attempts = new CopyOnWriteArrayList<>();
    CompletableFuture<ClaimOutcome> prepared =
        CompletableFuture.supplyAsync(() -> prepareUntilOk(dra, prepareDuring, attempts));
    MockNvmlFaults.forState(node.files().nvmlStateFile()).xid(5, FATAL_XID);

    Thread.sleep(Math.max(0, OUTAGE.toMillis() - millisSince(down)));
    apiserver.startAgain();
    long back = awaitApiServer();
    System.out.printf(
        "[e2e] outage: API server answering again %.1f s after it was stopped%n",
        (back - down) / 1e9);
    createPending("pending-after");

    // Within 30 s of the return, everything has caught up.
    ClaimOutcome outcome =
        prepared.get(RECOVERY.toSeconds() + 45, java.util.concurrent.TimeUnit.SECONDS);
    System.out.printf(
        "[e2e] outage: retried prepare succeeded %.1f s after the return, after %d attempts: %s%n",
        secondsSince(back), attempts.size(), attempts);
    await("XID taint on gpu-5 in the published slice")
        .atMost(remaining(back))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> hasXidTaint("gpu-5"));
    System.out.printf(
        "[e2e] outage: slices show the XID %.1f s after the return%n", secondsSince(back));
    awaitClaimPendingEvent("pending-after", remaining(back));
    await("the controller's metrics counting both pending claims")
        .atMost(remaining(back))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> pendingClaims(controller) == 2);
    System.out.printf(
        "[e2e] outage: controller Event and metrics current %.1f s after the return%n",
        secondsSince(back));

    // The kubelet's unprepare needed no API server; the prepare it retried ended with exactly one
    // success, whose CDI spec is in place; a repeat answers the same from the checkpoint.
    assertThat(unprepared.get(unprepareDuring.uid()).ok()).isTrue();
    assertThat(node.cdiSpec(unprepareDuring.uid())).doesNotExist();
    assertThat(outcome.ok()).isTrue();
    assertThat(attempts.stream().filter(a -> a.equals("ok")).count()).isEqualTo(1);
    assertThat(Files.exists(node.cdiSpec(prepareDuring.uid()))).isTrue();
    assertThat(dra.prepare(List.of(prepareDuring)).get(prepareDuring.uid()).devices())
        .isEqualTo(outcome.devices());
    assertThat(outcome.devices())
        .singleElement()
        .satisfies(d -> assertThat(d.deviceName()).isEqualTo("gpu-6"));

    // Every device still published; nothing restarted; the outage counted on both sides.
    assertThat(deviceNames()).isEqualTo(publishedBefore);
    assertThat(node.pluginPid()).isEqualTo(pluginPid);
    assertThat(ProcessHandle.of(pluginPid).map(ProcessHandle::isAlive)).hasValue(true);
    assertThat(controller.pid()).isEqualTo(controllerPid);
    assertThat(ProcessHandle.of(controllerPid).map(ProcessHandle::isAlive)).hasValue(true);
    double pluginErrors = apiErrors(URI.create("http://" + node.metricsTarget() + "/metrics"));
    double controllerErrors = apiErrors(controller.metricsUri());
    System.out.printf(
        "[e2e] outage: gpudra_api_errors_total plugin %.0f -> %.0f, controller %.0f -> %.0f%n",
        pluginErrorsBefore, pluginErrors, controllerErrorsBefore, controllerErrors);
    assertThat(pluginErrors).isGreaterThan(pluginErrorsBefore);
    assertThat(controllerErrors).isGreaterThan(controllerErrorsBefore);
    // The node agent (the kubelet's part) could not read its pod while the API server was away;
    // nothing the plugin answered went wrong.
    assertThat(node.agent().problems())
        .allSatisfy(p -> assertThat(p).contains(NodeAgent.POD_READ_FAILED));
  }

  /** Calls prepare every 2 s until it succeeds, as the kubelet retries; records each answer. */
  private static ClaimOutcome prepareUntilOk(DraCalls dra, PodClaim claim, List<String> attempts) {
    while (true) {
      long start = System.nanoTime();
      try {
        ClaimOutcome outcome = dra.prepare(List.of(claim)).get(claim.uid());
        attempts.add(outcome.ok() ? "ok" : "error");
        if (outcome.ok()) {
          return outcome;
        }
      } catch (RuntimeException e) {
        attempts.add("rpc " + e.getClass().getSimpleName());
      }
      try {
        Thread.sleep(Math.max(0, KUBELET_RETRY.toMillis() - millisSince(start)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private ResourceClaim oneGpu(String name) {
    return TestClaims.exactly(name, "gpu", DRIVER, Optional.empty(), 1);
  }

  /** Claim {@code name}, allocated {@code device} of the node as a scheduler would write it. */
  private PodClaim allocated(String name, String device) {
    ResourceClaim claim = client.resource(oneGpu(name)).inNamespace(NAMESPACE).create();
    claim.setStatus(
        new ResourceClaimStatusBuilder()
            .withAllocation(
                new AllocationResultBuilder()
                    .withNewDevices()
                    .addNewResult()
                    .withRequest("gpu")
                    .withDriver(DRIVER)
                    .withPool(NODE)
                    .withDevice(device)
                    .endResult()
                    .endDevices()
                    .withNodeSelector(
                        new NodeSelectorBuilder()
                            .addNewNodeSelectorTerm()
                            .addNewMatchField()
                            .withKey("metadata.name")
                            .withOperator("In")
                            .withValues(NODE)
                            .endMatchField()
                            .endNodeSelectorTerm()
                            .build())
                    .build())
            .build());
    ResourceClaim stored = client.resource(claim).inNamespace(NAMESPACE).updateStatus();
    return new PodClaim(NAMESPACE, stored.getMetadata().getUid(), name);
  }

  /** A pod whose claim asks for more GPUs than any node has. */
  private void createPending(String name) {
    client
        .resource(TestClaims.exactly(name, "gpu", DRIVER, Optional.empty(), 9))
        .inNamespace(NAMESPACE)
        .create();
    client
        .resource(TestPods.usingClaim(name, "gpu", name, Optional.empty()))
        .inNamespace(NAMESPACE)
        .create();
  }

  private void awaitClaimPendingEvent(String claim) {
    awaitClaimPendingEvent(claim, TIMEOUT);
  }

  private void awaitClaimPendingEvent(String claim, Duration atMost) {
    await("a ClaimPending Event about " + claim)
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () ->
                client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                    .filter(e -> "ClaimPending".equals(e.getReason()))
                    .map(Event::getInvolvedObject)
                    .anyMatch(o -> claim.equals(o.getName())));
  }

  /**
   * Waits until the API server answers a read again; returns when, in nanoTime. Asks with a client
   * that does not retry, so that the time is that of the first answer, not of a retry's backoff.
   */
  private long awaitApiServer() throws IOException {
    Config config =
        new ConfigBuilder(Config.fromKubeconfig(Files.readString(scenario.plane().kubeconfig())))
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(1000)
            .withRequestTimeout(2000)
            .build();
    try (KubernetesClient probe = new KubernetesClientBuilder().withConfig(config).build()) {
      await("kube-apiserver back")
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> probe.namespaces().withName(NAMESPACE).get() != null);
    }
    return System.nanoTime();
  }

  private List<String> deviceNames() {
    return node.publishedDevices().stream().map(d -> d.getName()).sorted().toList();
  }

  private boolean hasXidTaint(String device) {
    return node.publishedDevices().stream()
        .filter(d -> device.equals(d.getName()))
        .flatMap(
            d -> d.getTaints() == null ? java.util.stream.Stream.empty() : d.getTaints().stream())
        .anyMatch(t -> "gpu.gpudra.dev/xid".equals(t.getKey()));
  }

  private static double pendingClaims(DriverControllerProcess controller) throws IOException {
    return MetricsText.scrape(controller.metricsUri()).samples("gpudra_claims").stream()
        .filter(s -> NAMESPACE.equals(s.labels().get("namespace")))
        .filter(s -> "pending".equals(s.labels().get("state")))
        .mapToDouble(MetricsText.Sample::value)
        .sum();
  }

  private static double apiErrors(URI metrics) throws IOException {
    return MetricsText.scrape(metrics).samples("gpudra_api_errors_total").stream()
        .mapToDouble(MetricsText.Sample::value)
        .sum();
  }

  /** What is left of the 30 s after the API server's return at {@code back}. */
  private static Duration remaining(long back) {
    return RECOVERY.minusNanos(System.nanoTime() - back).plusMillis(1);
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static double secondsSince(long nanos) {
    return (System.nanoTime() - nanos) / 1e9;
  }
}
