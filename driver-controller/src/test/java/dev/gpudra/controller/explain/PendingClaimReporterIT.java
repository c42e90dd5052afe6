package dev.gpudra.controller.explain;

import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER;
import static dev.gpudra.testkit.cluster.ClusterFixtures.ML;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.controller.leader.LeaderElection;
import dev.gpudra.controller.metrics.MetricsServer;
import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.testkit.cluster.ClusterFixtures;
import dev.gpudra.testkit.cluster.MovableClock;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
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
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pending-claim Events, the explain endpoint and leader election against the mock API server. */
@EnableKubernetesMockClient(crud = true)
class PendingClaimReporterIT {

  KubernetesClient client;

  private final MovableClock clock = new MovableClock();
  private ClusterView view;
  private ClaimExplanations explanations;

  @BeforeEach
  void cluster() {
    ClusterFixtures.on(client).twoL4sOnNodeA();
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
        () -> view.classifier(DRIVER),
        clock,
        Duration.ofMinutes(1),
        Duration.ofMinutes(10),
        maxEvents);
  }

  private ResourceClaim bigClaim(String name) {
    return client.resource(ClusterFixtures.unsatisfiableClaim(ML, name).build()).create();
  }

  private List<Event> events() {
    return client.v1().events().inNamespace(ML).list().getItems();
  }

  private void awaitClaims(int count) {
    await().atMost(Duration.ofSeconds(10)).until(() -> view.claims().size() == count);
  }

  @Test
  void publishesTheExplanationOnTheClaimAndItsPodOnceUntilItChangesOrRepeats() {
    ResourceClaim claim = bigClaim("big");
    client.resource(ClusterFixtures.podUsing(ML, "trainer", "big")).create();
    awaitClaims(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> view.pod("ml", "trainer").isPresent());
    PendingClaimReporter reporter = reporter(20);

    assertThat(reporter.runOnce()).as("not pending long enough yet").isZero();

    clock.set(Instant.parse(claim.getMetadata().getCreationTimestamp()).plusSeconds(120));
    assertThat(reporter.runOnce()).isEqualTo(2);
    assertThat(events())
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo("ClaimPending");
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "claim ml/big fits on none of 1 nodes: request \"gpu\": 2x NVIDIA L4 on"
                          + " node-a: memory 24Gi < 80Gi; node-a: request \"gpu\" has selectors"
                          + " false on 2 devices, needs 1 but only 0 usable");
            })
        .extracting(e -> e.getInvolvedObject().getKind())
        .containsExactlyInAnyOrder("ResourceClaim", "Pod");

    assertThat(reporter.runOnce()).as("unchanged explanation: deduplicated").isZero();

    clock.advance(Duration.ofMinutes(11));
    assertThat(reporter.runOnce()).as("repeated after 10 minutes").isEqualTo(2);
    assertThat(events()).hasSize(2).allSatisfy(e -> assertThat(e.getCount()).isEqualTo(2));
  }

  @Test
  void writesAtMostTheConfiguredEventsPerPassOldestFirst() {
    bigClaim("first");
    bigClaim("second");
    ResourceClaim third = bigClaim("third");
    awaitClaims(3);
    clock.set(Instant.parse(third.getMetadata().getCreationTimestamp()).plusSeconds(120));
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
            explanations::explain)) {
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
