package dev.gpudra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.cluster.ClusterFixtures;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
            "  request \"gpu\": no devices are published on cpu-node",
            "  cpu-node: claim finds no ResourceSlices on the node");
  }

  @Test
  void namesTheFalseClauseWithTheValueTheGpusHave() throws Exception {
    ClusterFixtures.l4Slices("gpu-node", 2).forEach(s -> client.resource(s).create());
    client.resource(ClusterFixtures.node("gpu-node")).create();
    client.resource(ClusterFixtures.unsatisfiableClaim("ml", "big").build()).create();

    CliRunner.Result result = gpudra("explain", "ml/big");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout().lines().skip(1).findFirst().orElse(""))
        .isEqualTo("  request \"gpu\": 2x NVIDIA L4 on gpu-node: memory 24Gi < 80Gi");
  }

  @Test
  void explainsEveryClaimOfAPod() throws Exception {
    client.resource(ClusterFixtures.podUsing("ml", "trainer", "train")).create();

    CliRunner.Result result = gpudra("explain", "pod", "ml/trainer", "-o", "json");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout())
        .contains("\"claim\" : \"train\"")
        .contains("\"fits\" : false")
        .contains("\"kind\" : \"POOL\"");
  }

  @Test
  void aPodBoundToANodeIsExplainedOnThatNodeOnly() throws Exception {
    // Two free L4s elsewhere: for a pod created with spec.nodeName they are no answer.
    ClusterFixtures.l4Slices("gpu-node", 2).forEach(s -> client.resource(s).create());
    client.resource(ClusterFixtures.node("gpu-node")).create();
    client
        .resource(
            new PodBuilder(ClusterFixtures.podUsing("ml", "aws-batch.job", "train"))
                .editSpec()
                .withNodeName("cpu-node")
                .endSpec()
                .build())
        .create();

    CliRunner.Result result = gpudra("explain", "pod", "ml/aws-batch.job");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout().strip().lines())
        .containsExactly(
            "pod ml/aws-batch.job is bound to node cpu-node; only that node can serve its claims",
            "claim ml/train fits on none of 1 nodes:",
            "  request \"gpu\": no devices are published on cpu-node",
            "  cpu-node: claim finds no ResourceSlices on the node");
  }

  @Test
  void evaluatesAClaimTemplateFromAFileBeforeItIsApplied(@TempDir Path dir) throws Exception {
    ClusterFixtures.l4Slices("gpu-node", 2).forEach(s -> client.resource(s).create());
    client.resource(ClusterFixtures.node("gpu-node")).create();
    Path file = dir.resolve("template.yaml");
    Files.writeString(
        file,
        """
        apiVersion: resource.k8s.io/v1
        kind: ResourceClaimTemplate
        metadata:
          name: one-l4
          namespace: ml
        spec:
          spec:
            devices:
              requests:
                - name: gpu
                  exactly:
                    deviceClassName: gpu.gpudra.dev
                    allocationMode: ExactCount
                    count: 1
        """);

    CliRunner.Result result = gpudra("explain", "-f", file.toString());

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout().strip()).isEqualTo("claim ml/one-l4 would fit on gpu-node gpu-0");
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
