package dev.gpudra.controller.metrics;

import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER;
import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER_SELECTOR;
import static dev.gpudra.testkit.cluster.ClusterFixtures.allocatedTo;
import static dev.gpudra.testkit.cluster.ClusterFixtures.reservedFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.controller.explain.ClaimExplanations;
import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.testkit.cluster.ClusterFixtures;
import dev.gpudra.testkit.cluster.MovableClock;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each metric, computed from objects in the (mock) API server through the controller's view. */
@EnableKubernetesMockClient(crud = true)
class ClusterMetricsIT {

  private final MovableClock clock = new MovableClock();

  KubernetesClient client;

  private ClusterView view;
  private PrometheusMeterRegistry registry;
  private ClusterMetrics metrics;

  @BeforeEach
  void startView() {
    ClusterFixtures.on(client)
        .create(
            ClusterFixtures.deviceClass(
                DRIVER,
                DRIVER_SELECTOR + " && device.attributes[\"gpu.gpudra.dev\"].type == \"gpu\""));
    view = new ClusterView(client);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics = new ClusterMetrics(view, DRIVER, registry, clock);
    view.start(Duration.ofSeconds(30));
  }

  @AfterEach
  void stopView() {
    view.close();
  }

  private void publish(String node, int gpus) {
    ClusterFixtures.on(client).publishL4s(node, gpus);
  }

  private static ResourceClaimBuilder claim(
      String namespace, String name, String deviceClass, String created) {
    return ClusterFixtures.claim(namespace, name, deviceClass)
        .editMetadata()
        .withCreationTimestamp(created)
        .endMetadata();
  }

  private void create(ResourceClaim claim) {
    client.resource(claim).create();
  }

  private Instant created(String namespace, String name) {
    return Instant.parse(
        client
            .resources(ResourceClaim.class)
            .inNamespace(namespace)
            .withName(name)
            .get()
            .getMetadata()
            .getCreationTimestamp());
  }

  private double value(String name, String... tags) {
    var search = registry.find(name);
    for (int i = 0; i < tags.length; i += 2) {
      search = search.tag(tags[i], tags[i + 1]);
    }
    var gauge = search.gauge();
    return gauge == null ? Double.NaN : gauge.value();
  }

  @Test
  void countsClaimsByStateNamespaceClassAndWorkload() {
    client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withNamespace("batch")
                .withName("job-pod")
                .addToLabels("batch.amazonaws.com/job-id", "j-1")
                .endMetadata()
                .build())
        .create();
    publish("node-a", 2);
    create(claim("ml", "pending-1", "gpu.gpudra.dev", "2026-11-27T11:50:00Z").build());
    create(claim("ml", "pending-2", "gpu.gpudra.dev", "2026-11-27T11:59:00Z").build());
    create(
        reservedFor(
                allocatedTo(
                    claim("batch", "in-use", "gpu.gpudra.dev", "2026-11-27T11:00:00Z"),
                    "node-a",
                    "gpu-0"),
                "job-pod",
                "u1")
            .build());
    create(claim("ml", "not-ours", "fpga.example.com", "2026-11-27T11:00:00Z").build());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              metrics.refresh();
              assertThat(
                      value(
                          "gpudra_claims",
                          "state",
                          "pending",
                          "namespace",
                          "ml",
                          "device_class",
                          "gpu.gpudra.dev",
                          "workload",
                          "other"))
                  .isEqualTo(2.0);
              assertThat(
                      value(
                          "gpudra_claims",
                          "state",
                          "reserved",
                          "namespace",
                          "batch",
                          "device_class",
                          "gpu.gpudra.dev",
                          "workload",
                          "aws-batch"))
                  .isEqualTo(1.0);
            });
    assertThat(registry.find("gpudra_claims").tag("device_class", "fpga.example.com").gauge())
        .isNull();
    Instant oldest = created("ml", "pending-1");
    clock.set(oldest.plusSeconds(600));
    metrics.refresh();
    assertThat(value("gpudra_oldest_pending_claim_age_seconds")).isEqualTo(600.0);
    assertThat(
            value(
                "gpudra_devices",
                "node",
                "node-a",
                "product",
                "NVIDIA L4",
                "type",
                "gpu",
                "state",
                "allocated"))
        .isEqualTo(1.0);
    assertThat(
            value(
                "gpudra_devices",
                "node",
                "node-a",
                "product",
                "NVIDIA L4",
                "type",
                "gpu",
                "state",
                "free"))
        .isEqualTo(1.0);
    assertThat(value("gpudra_controller_view_synced")).isEqualTo(1.0);
  }

  @Test
  void recordsTheTimeFromCreationToAllocationForClaimsSeenPending() {
    create(claim("ml", "c1", "gpu.gpudra.dev", "2026-11-27T11:59:30Z").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> view.claims().size() == 1);

    ResourceClaim pending =
        client.resources(ResourceClaim.class).inNamespace("ml").withName("c1").get();
    clock.set(created("ml", "c1").plusSeconds(30));
    client
        .resource(allocatedTo(new ResourceClaimBuilder(pending), "node-a", "gpu-0").build())
        .updateStatus();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(registry.find("gpudra_claim_allocation").timer().count()).isEqualTo(1));
    assertThat(
            registry
                .find("gpudra_claim_allocation")
                .timer()
                .totalTime(java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(30.0);
  }

  @Test
  void servesPrometheusTextAndHealth() throws Exception {
    publish("node-b", 1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              metrics.refresh();
              return value("gpudra_devices", "node", "node-b", "state", "free") == 1.0;
            });
    try (MetricsServer server =
        MetricsServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            registry,
            view::synced,
            new ClaimExplanations(view, AllocationBudget.DEFAULT)::explain)) {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> scrape =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body())
          .contains(
              "gpudra_devices{node=\"node-b\",product=\"NVIDIA L4\",state=\"free\",type=\"gpu\"} 1.0")
          .contains("gpudra_claim_allocation_seconds_bucket");
      assertThat(health.statusCode()).isEqualTo(200);
    }
  }
}
