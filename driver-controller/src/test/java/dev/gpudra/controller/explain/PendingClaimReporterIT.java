package dev.gpudra.controller.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.controller.leader.LeaderElection;
import dev.gpudra.controller.metrics.MetricsServer;
import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.controller.view.DriverClasses;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.claims.ClaimClassifier;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NodeBuilder;
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
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pending-claim Events, the explain endpoint and leader election against the mock API server. */
@EnableKubernetesMockClient(crud = true)
class PendingClaimReporterIT {

  private static final String DRIVER = "gpu.gpudra.dev";

  KubernetesClient client;

  private final MovableClock clock = new MovableClock();
  private ClusterView view;
  private ClaimExplanations explanations;

  /** A clock tests move; the mock server stamps creation times with the real time. */
  private static final class MovableClock extends Clock {
    private volatile Instant now = Instant.now();

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @BeforeEach
  void cluster() {
    client
        .resource(
            new DeviceClassBuilder()
                .withNewMetadata()
                .withName("gpu.gpudra.dev")
                .endMetadata()
                .withNewSpec()
                .addNewSelector()
                .withNewCel()
                .withExpression("device.driver == \"gpu.gpudra.dev\"")
                .endCel()
                .endSelector()
                .endSpec()
                .build())
        .create();
    client
        .resource(new NodeBuilder().withNewMetadata().withName("node-a").endMetadata().build())
        .create();
    List<Gpu> gpus =
        IntStream.range(0, 2)
            .mapToObj(
                minor ->
                    new Gpu(
                        minor,
                        minor,
                        "GPU-" + minor,
                        "NVIDIA L4",
                        "Nvidia",
                        "Ada Lovelace",
                        "8.9",
                        24L << 30,
                        "0000:0" + (minor + 1) + ":00.0",
                        MigMode.NOT_CAPABLE,
                        List.of(),
                        List.of()))
            .toList();
    List<ResourceSliceSpec> specs =
        ResourceSliceMapper.map(
            new NodeInventory("550.54.15", "12.4", gpus, List.of()),
            new SliceMappingOptions(DRIVER, "node-a", false));
    specs.getFirst().getPool().setGeneration(1L);
    client
        .resource(
            new ResourceSliceBuilder()
                .withNewMetadata()
                .withName("node-a-0")
                .endMetadata()
                .withSpec(specs.getFirst())
                .build())
        .create();
    view = new ClusterView(client);
    view.start(Duration.ofSeconds(30));
    explanations = new ClaimExplanations(view, AllocationBudget.DEFAULT);
  }

  @AfterEach
  void stop() {
    view.close();
  }

  private PendingClaimReporter reporter(int maxEvents) {
    return new PendingClaimReporter(
        client,
        view,
        explanations,
        () -> new ClaimClassifier(DRIVER, DriverClasses.selecting(view.deviceClasses(), DRIVER)),
        clock,
        Duration.ofMinutes(1),
        Duration.ofMinutes(10),
        maxEvents);
  }

  private ResourceClaim bigClaim(String name) {
    ResourceClaim claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withNamespace("ml")
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withNewDevices()
            .addNewRequest()
            .withName("gpu")
            .withNewExactly()
            .withDeviceClassName("gpu.gpudra.dev")
            .withAllocationMode("ExactCount")
            .withCount(1L)
            .addNewSelector()
            .withNewCel()
            .withExpression(
                "device.capacity[\"gpu.gpudra.dev\"].memory.compareTo(quantity(\"80Gi\")) >= 0")
            .endCel()
            .endSelector()
            .endExactly()
            .endRequest()
            .endDevices()
            .endSpec()
            .build();
    return client.resource(claim).create();
  }

  private List<Event> events() {
    return client.v1().events().inNamespace("ml").list().getItems();
  }

  private void awaitClaims(int count) {
    await().atMost(Duration.ofSeconds(10)).until(() -> view.claims().size() == count);
  }

  @Test
  void publishesTheExplanationOnTheClaimAndItsPodOnceUntilItChangesOrRepeats() {
    ResourceClaim claim = bigClaim("big");
    client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withNamespace("ml")
                .withName("trainer")
                .endMetadata()
                .withNewSpec()
                .addNewResourceClaim()
                .withName("gpu")
                .withResourceClaimName("big")
                .endResourceClaim()
                .addNewContainer()
                .withName("main")
                .withImage("trainer")
                .endContainer()
                .endSpec()
                .build())
        .create();
    awaitClaims(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> view.pod("ml", "trainer").isPresent());
    PendingClaimReporter reporter = reporter(20);

    assertThat(reporter.runOnce()).as("not pending long enough yet").isZero();

    clock.now = Instant.parse(claim.getMetadata().getCreationTimestamp()).plusSeconds(120);
    assertThat(reporter.runOnce()).isEqualTo(2);
    assertThat(events())
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo("ClaimPending");
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "claim ml/big fits on none of 1 nodes: node-a: request \"gpu\" has"
                          + " selectors false on 2 devices, needs 1 but only 0 usable");
            })
        .extracting(e -> e.getInvolvedObject().getKind())
        .containsExactlyInAnyOrder("ResourceClaim", "Pod");

    assertThat(reporter.runOnce()).as("unchanged explanation: deduplicated").isZero();

    clock.now = clock.now.plus(Duration.ofMinutes(11));
    assertThat(reporter.runOnce()).as("repeated after 10 minutes").isEqualTo(2);
    assertThat(events()).hasSize(2).allSatisfy(e -> assertThat(e.getCount()).isEqualTo(2));
  }

  @Test
  void writesAtMostTheConfiguredEventsPerPassOldestFirst() {
    bigClaim("first");
    bigClaim("second");
    ResourceClaim third = bigClaim("third");
    awaitClaims(3);
    clock.now = Instant.parse(third.getMetadata().getCreationTimestamp()).plusSeconds(120);
    PendingClaimReporter reporter = reporter(2);

    assertThat(reporter.runOnce()).isEqualTo(2);
    assertThat(reporter.runOnce()).isEqualTo(1);
    assertThat(reporter.runOnce()).isZero();
    assertThat(events()).hasSize(3);
  }

  @Test
  void servesTheExplanationOverHttp() throws Exception {
    bigClaim("big");
    awaitClaims(1);
    try (MetricsServer server =
        MetricsServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            view::synced,
            explanations)) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();

      HttpResponse<String> found =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/explain/ml/big")).build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> missing =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/explain/ml/nope")).build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(found.statusCode()).isEqualTo(200);
      assertThat(found.body())
          .startsWith("claim ml/big fits on none of 1 nodes:")
          .contains("node-a: request \"gpu\" has selectors false on 2 devices");
      assertThat(missing.statusCode()).isEqualTo(404);
    }
  }

  @Test
  void onlyOneOfTwoReplicasLeadsAtATime() {
    AtomicInteger leaders = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    Runnable started = () -> mostAtOnce.accumulateAndGet(leaders.incrementAndGet(), Math::max);
    Runnable stopped = leaders::decrementAndGet;
    LeaderElection a =
        LeaderElection.start(
            client, "default", "replica-a", Duration.ofSeconds(3), started, stopped);
    LeaderElection b =
        LeaderElection.start(
            client, "default", "replica-b", Duration.ofSeconds(3), started, stopped);
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> leaders.get() == 1);
      await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10)).until(() -> true);
      assertThat(mostAtOnce.get()).isEqualTo(1);
      assertThat(leaders.get()).isEqualTo(1);
    } finally {
      a.close();
      b.close();
    }
  }
}
