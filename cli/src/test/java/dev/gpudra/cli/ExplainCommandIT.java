package dev.gpudra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.cluster.ClusterFixtures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code gpudra explain} from the built jar against the mock API server, as an operator runs it.
 */
@EnableKubernetesMockClient(crud = true)
class ExplainCommandIT {

  KubernetesClient client;

  @BeforeEach
  void cluster() {
    client
        .resource(
            ClusterFixtures.deviceClass(ClusterFixtures.DRIVER, ClusterFixtures.DRIVER_SELECTOR))
        .create();
    client.resource(ClusterFixtures.node("cpu-node")).create();
    client.resource(ClusterFixtures.oneGpu("ml", "train").build()).create();
  }

  /** Runs the jar against the mock API server, configured as fabric8 reads its environment. */
  private CliRunner.Result gpudra(String... args) throws Exception {
    return CliRunner.run(
        Map.of(
            "KUBERNETES_MASTER", client.getConfiguration().getMasterUrl(),
            "KUBERNETES_AUTH_TRYKUBECONFIG", "false",
            "KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false",
            "KUBERNETES_TRUST_CERTIFICATES", "true",
            "KUBERNETES_NAMESPACE", "default"),
        args);
  }

  @Test
  void explainsAPendingClaim() throws Exception {
    CliRunner.Result result = gpudra("explain", "ml/train");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout().strip().lines())
        .containsExactly(
            "claim ml/train fits on none of 1 nodes:",
            "  cpu-node: claim finds no ResourceSlices on the node");
  }

  @Test
  void anUnknownClaimExitsWithOne() throws Exception {
    CliRunner.Result result = gpudra("explain", "ml/nope");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stderr()).contains("gpudra: no ResourceClaim ml/nope");
  }

  @Test
  void aMalformedArgumentIsAUsageError() throws Exception {
    CliRunner.Result result = gpudra("explain", "just-a-name");

    assertThat(result.exitCode()).isEqualTo(64);
    assertThat(result.stderr()).contains("expected NAMESPACE/CLAIM, got 'just-a-name'");
  }
}
