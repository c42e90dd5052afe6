package dev.gpudra.controller.view;

import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.controller.explain.ClaimExplanations;
import dev.gpudra.controller.explain.PendingClaimReporter;
import dev.gpudra.controller.metrics.ClusterMetrics;
import dev.gpudra.controller.view.SlimPod.ClaimReference;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.claims.WorkloadKind;
import dev.gpudra.testkit.cluster.ClusterFixtures;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The view keeps pods slim: a pod with a large spec (many containers with env, annotations, managed
 * fields, conditions) is held as a {@link SlimPod}, and the claim metrics' workload label and the
 * pending-claim Events on pods come out as they do from the full pod. Against fabric8's mock API
 * server.
 */
@EnableKubernetesMockClient(crud = true)
class SlimPodsIT {

  private static final String TEMPLATE_CLAIM = "big-pod-scratch-x7k2p";
  private static final int COPIES = 500;

  KubernetesClient client;

  private ClusterView view;
  private PrometheusMeterRegistry registry;
  private ClusterMetrics metrics;

  @BeforeEach
  void clusterWithTwoGpusAndPendingClaims() {
    ClusterFixtures.on(client).twoL4sOnNodeA();
    view = new ClusterView(client);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics = new ClusterMetrics(view, DRIVER, registry, Clock.systemUTC());
    view.start(Duration.ofSeconds(30));
  }

  @AfterEach
  void stopView() {
    view.close();
  }

  @Test
  void aBigPodIsKeptSlimWhileMetricsAndPendingClaimEventsStayCorrect() {
    Pod created = client.resource(SlimPodTest.bigPod(40, 20, 50, 20)).create();
    // A template claim is made for its pod and owned by it; a named claim is not.
    unsatisfiableClaim("shared-gpu", null);
    unsatisfiableClaim(TEMPLATE_CLAIM, created);
    String uid = created.getMetadata().getUid();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> view.pod("ml", "big-pod").isPresent() && view.claims().size() == 2);

    SlimPod expected =
        new SlimPod(
            "ml",
            "big-pod",
            uid,
            created.getMetadata().getResourceVersion(),
            "node-a",
            "Running",
            Map.of(WorkloadKind.AWS_BATCH_JOB_LABEL, "job-42"),
            List.of(
                new ClaimReference("gpu", "shared-gpu", null),
                new ClaimReference("scratch", TEMPLATE_CLAIM, "one-gpu"),
                new ClaimReference("later", null, "one-gpu")));
    assertThat(view.pod("ml", "big-pod")).contains(expected);
    assertThat(view.pods("ml")).containsExactly(expected);
    assertThat(view.pods("other")).isEmpty();

    metrics.refresh();
    assertThat(claims("pending", "aws-batch")).as("owned by the Batch pod").isEqualTo(1);
    assertThat(claims("pending", "other")).as("neither reserved nor owned").isEqualTo(1);

    PendingClaimReporter reporter =
        new PendingClaimReporter(
            client,
            view,
            new ClaimExplanations(view, AllocationBudget.DEFAULT),
            () -> view.classifier(DRIVER),
            Clock.offset(Clock.systemUTC(), Duration.ofMinutes(2)),
            Duration.ofMinutes(1),
            Duration.ofMinutes(10),
            20);
    assertThat(reporter.runOnce()).isEqualTo(4);
    List<Event> onPod =
        client.v1().events().inNamespace("ml").list().getItems().stream()
            .filter(e -> "Pod".equals(e.getInvolvedObject().getKind()))
            .toList();
    assertThat(onPod)
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getName()).isEqualTo("big-pod");
              assertThat(e.getInvolvedObject().getUid()).isEqualTo(uid);
            })
        .extracting(Event::getMessage)
        .allMatch(m -> m.contains("fits on none of 1 nodes"));

    printApproximateFootprint(created);
  }

  @Test
  void updatesAndDeletionsReachTheSlimPod() {
    Pod created = client.resource(SlimPodTest.bigPod(5, 5, 5, 5)).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> view.pod("ml", "big-pod").isPresent());

    client
        .pods()
        .inNamespace("ml")
        .withName("big-pod")
        .edit(
            p ->
                new PodBuilder(p)
                    .editMetadata()
                    .removeFromLabels(WorkloadKind.AWS_BATCH_JOB_LABEL)
                    .addToLabels(WorkloadKind.WORKLOAD_LABEL, "agent")
                    .endMetadata()
                    .build());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                view.podLabels("ml", "big-pod")
                    .equals(Optional.of(Map.of(WorkloadKind.WORKLOAD_LABEL, "agent"))));
    assertThat(view.pod("ml", "big-pod").orElseThrow().resourceVersion())
        .isNotEqualTo(created.getMetadata().getResourceVersion());

    client.resource(created).delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> view.pod("ml", "big-pod").isEmpty());
    assertThat(view.pods("ml")).isEmpty();
  }

  private void unsatisfiableClaim(String name, Pod owner) {
    var claim = ClusterFixtures.unsatisfiableClaim("ml", name);
    if (owner != null) {
      ClusterFixtures.ownedBy(claim, owner);
    }
    client.resource(claim.build()).create();
  }

  private double claims(String state, String workload) {
    var gauge =
        registry
            .find("gpudra_claims")
            .tag("state", state)
            .tag("namespace", "ml")
            .tag("workload", workload)
            .gauge();
    return gauge == null ? Double.NaN : gauge.value();
  }

  /**
   * Prints roughly what one pod of this shape costs in heap, read from the API server as a Pod and
   * as the view keeps it: used heap after GC before and after holding {@value #COPIES} copies.
   * Measured, not asserted: GC and other threads make it approximate.
   */
  private static void printApproximateFootprint(Pod pod) {
    KubernetesSerialization serialization = new KubernetesSerialization();
    String json = serialization.asJson(pod);
    List<Object> held = new ArrayList<>(COPIES);
    long base = usedHeapAfterGc();
    for (int i = 0; i < COPIES; i++) {
      held.add(serialization.unmarshal(json, Pod.class));
    }
    long full = (usedHeapAfterGc() - base) / COPIES;
    held.clear();
    base = usedHeapAfterGc();
    for (int i = 0; i < COPIES; i++) {
      held.add(SlimPod.of(serialization.unmarshal(json, Pod.class)));
    }
    long slim = (usedHeapAfterGc() - base) / COPIES;
    System.out.printf(
        "[footprint] pod with %d containers, %d annotations, %d managed fields (%d bytes of JSON):"
            + " about %d bytes of heap as a Pod, %d bytes as a SlimPod (%d copies)%n",
        pod.getSpec().getContainers().size(),
        pod.getMetadata().getAnnotations().size(),
        pod.getMetadata().getManagedFields().size(),
        json.length(),
        full,
        slim,
        held.size());
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
