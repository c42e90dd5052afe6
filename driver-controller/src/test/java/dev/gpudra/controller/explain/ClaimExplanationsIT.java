package dev.gpudra.controller.explain;

import static dev.gpudra.testkit.cluster.ClusterFixtures.ML;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.explain.Explanation;
import dev.gpudra.testkit.cluster.ClusterFixtures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One allocator snapshot per view revision: reused while the cluster stands still, replaced as soon
 * as anything allocation reads changes. Against the mock API server.
 */
@EnableKubernetesMockClient(crud = true)
class ClaimExplanationsIT {

  KubernetesClient client;

  private ClusterFixtures cluster;
  private ClusterView view;
  private ClaimExplanations explanations;

  @BeforeEach
  void cluster() {
    cluster = ClusterFixtures.on(client).twoL4sOnNodeA();
    cluster.create(ClusterFixtures.unsatisfiableClaim(ML, "big").build());
    view = new ClusterView(client);
    view.start(Duration.ofSeconds(30));
    await().atMost(Duration.ofSeconds(10)).until(() -> view.claims().size() == 1);
    explanations = new ClaimExplanations(view, AllocationBudget.DEFAULT);
  }

  @AfterEach
  void stop() {
    view.close();
  }

  private String explainBig() {
    return explanations.explain(ML, "big").map(Explanation::summary).orElseThrow();
  }

  @Test
  void theSnapshotIsSharedWhileTheViewDoesNotChange() {
    ExplainSnapshot first = explanations.snapshot();

    assertThat(explainBig()).startsWith("claim ml/big fits on none of 1 nodes");
    assertThat(explanations.snapshot()).isSameAs(first);
  }

  @Test
  void aNewNodeIsInTheNextExplanation() {
    ExplainSnapshot before = explanations.snapshot();
    assertThat(explainBig()).startsWith("claim ml/big fits on none of 1 nodes");

    cluster.create(ClusterFixtures.node("node-b"));
    cluster.publishL4s("node-b", 1);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> explainBig().startsWith("claim ml/big fits on none of 2 nodes"));
    assertThat(explanations.snapshot()).isNotSameAs(before);
  }

  @Test
  void podsDoNotChangeTheRevision() {
    long revision = view.revision();

    cluster.create(ClusterFixtures.podUsing(ML, "trainer", "big"));
    await().atMost(Duration.ofSeconds(10)).until(() -> view.pod(ML, "trainer").isPresent());

    assertThat(view.revision()).isEqualTo(revision);
  }

  @Test
  void aNewClaimChangesTheRevision() {
    long revision = view.revision();

    cluster.create(ClusterFixtures.oneGpu(ML, "small").build());

    await().atMost(Duration.ofSeconds(10)).until(() -> view.revision() > revision);
    assertThat(view.claims()).hasSize(2);
  }
}
