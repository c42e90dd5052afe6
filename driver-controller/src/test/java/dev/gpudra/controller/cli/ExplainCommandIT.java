package dev.gpudra.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code gpudra explain} against the mock API server, as an operator runs it. */
@EnableKubernetesMockClient(crud = true)
class ExplainCommandIT {

  KubernetesClient client;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

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
        .resource(new NodeBuilder().withNewMetadata().withName("cpu-node").endMetadata().build())
        .create();
    client
        .resource(
            new ResourceClaimBuilder()
                .withNewMetadata()
                .withNamespace("ml")
                .withName("train")
                .endMetadata()
                .withNewSpec()
                .withNewDevices()
                .addNewRequest()
                .withName("gpu")
                .withNewExactly()
                .withDeviceClassName("gpu.gpudra.dev")
                .withAllocationMode("ExactCount")
                .withCount(1L)
                .endExactly()
                .endRequest()
                .endDevices()
                .endSpec()
                .build())
        .create();
  }

  private int gpudra(String... args) {
    return GpudraCli.run(
        () -> new KubernetesClientBuilder().withConfig(client.getConfiguration()).build(),
        new PrintWriter(out, true),
        new PrintWriter(err, true),
        args);
  }

  @Test
  void explainsAPendingClaim() {
    int exit = gpudra("explain", "ml/train");

    assertThat(exit).isZero();
    assertThat(out.toString().strip().lines())
        .containsExactly(
            "claim ml/train fits on none of 1 nodes:",
            "  cpu-node: claim finds no ResourceSlices on the node");
  }

  @Test
  void anUnknownClaimExitsWithOne() {
    assertThat(gpudra("explain", "ml/nope")).isEqualTo(1);
    assertThat(err.toString()).contains("gpudra: no ResourceClaim ml/nope");
  }

  @Test
  void aMalformedArgumentIsAUsageError() {
    assertThat(gpudra("explain", "just-a-name")).isEqualTo(64);
    assertThat(err.toString()).contains("expected NAMESPACE/CLAIM, got 'just-a-name'");
  }
}
