package dev.gpudra.controller.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each metric, computed from objects in the (mock) API server through the controller's view. */
@EnableKubernetesMockClient(crud = true)
class ClusterMetricsIT {

  private static final String DRIVER = "gpu.gpudra.dev";

  /** A clock the tests move: the mock API server stamps creation times with the real time. */
  private static final class TestClock extends Clock {
    private volatile Instant now = Instant.now();

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private final TestClock clock = new TestClock();

  KubernetesClient client;

  private ClusterView view;
  private PrometheusMeterRegistry registry;
  private ClusterMetrics metrics;

  @BeforeEach
  void startView() {
    client
        .resource(
            new DeviceClassBuilder()
                .withNewMetadata()
                .withName("gpu.gpudra.dev")
                .endMetadata()
                .withNewSpec()
                .addNewSelector()
                .withNewCel()
                .withExpression(
                    "device.driver == \"gpu.gpudra.dev\" && device.attributes[\"gpu.gpudra.dev\"].type == \"gpu\"")
                .endCel()
                .endSelector()
                .endSpec()
                .build())
        .create();
    view = new ClusterView(client);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics = new ClusterMetrics(view, DRIVER, registry, clock);
    view.start(Duration.ofSeconds(30));
  }

  @AfterEach
  void stopView() {
    view.close();
  }

  private static Gpu gpu(int minor) {
    return new Gpu(
        minor,
        minor,
        "GPU-" + minor,
        "NVIDIA L4",
        "Nvidia",
        "Ada Lovelace",
        "8.9",
        24L << 30,
        String.format("0000:%02x:00.0", minor + 1),
        MigMode.NOT_CAPABLE,
        List.of(),
        List.of());
  }

  private void publish(String node, int gpus) {
    List<Gpu> list =
        java.util.stream.IntStream.range(0, gpus).mapToObj(ClusterMetricsIT::gpu).toList();
    List<ResourceSliceSpec> specs =
        ResourceSliceMapper.map(
            new NodeInventory("550.54.15", "12.4", list, List.of()),
            new SliceMappingOptions(DRIVER, node, false));
    for (int i = 0; i < specs.size(); i++) {
      specs.get(i).getPool().setGeneration(1L);
      client
          .resource(
              new ResourceSliceBuilder()
                  .withNewMetadata()
                  .withName(node + "-" + i)
                  .endMetadata()
                  .withSpec(specs.get(i))
                  .build())
          .create();
    }
  }

  private ResourceClaimBuilder claim(
      String namespace, String name, String deviceClass, String created) {
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withCreationTimestamp(created)
        .endMetadata()
        .withNewSpec()
        .withNewDevices()
        .addNewRequest()
        .withName("gpu")
        .withNewExactly()
        .withDeviceClassName(deviceClass)
        .endExactly()
        .endRequest()
        .endDevices()
        .endSpec();
  }

  private static ResourceClaimBuilder allocatedTo(
      ResourceClaimBuilder claim, String node, String device) {
    return claim
        .withNewStatus()
        .withNewAllocation()
        .withNewDevices()
        .addNewResult()
        .withDriver(DRIVER)
        .withPool(node)
        .withDevice(device)
        .withRequest("gpu")
        .endResult()
        .endDevices()
        .endAllocation()
        .endStatus();
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
        allocatedTo(
                claim("batch", "in-use", "gpu.gpudra.dev", "2026-11-27T11:00:00Z"),
                "node-a",
                "gpu-0")
            .editStatus()
            .addNewReservedFor()
            .withResource("pods")
            .withName("job-pod")
            .withUid("u1")
            .endReservedFor()
            .endStatus()
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
    clock.now = oldest.plusSeconds(600);
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
    clock.now = created("ml", "c1").plusSeconds(30);
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
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry, view::synced)) {
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
