package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.cluster.FreePorts;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.nodes.BatchPods;
import dev.gpudra.e2e.nodes.PreboundWebhooks;
import dev.gpudra.e2e.nodes.TestPods;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/aws-batch/} on the real control plane (API server, scheduler, controller manager)
 * with an emulated kubelet: the chart's webhook configurations (pointed at the driver controller,
 * which runs as its own JVM), Batch's documented RBAC, and the pod Batch creates, created as the
 * user {@code aws-batch} on a node tainted {@code batch.amazonaws.com/batch-node}.
 *
 * <p>What this cannot prove: the real kubelet's admission of the rewritten pod, which the real-node
 * harness will show.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwsBatchPreboundPodsIT {

  private static final String NS = "batch-jobs";
  private static final String NODE = "batch-a100";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.withoutNamespace()
          .withNode(NODE, "a100-8x")
          .withDeviceClasses("deviceClasses.gpu.extendedResourceName=nvidia.com/gpu");

  private KubernetesClient admin;
  private KubernetesClient batch;
  private int wholeGpus;

  @BeforeAll
  void batchNodeRbacControllerAndWebhooks() throws IOException {
    admin = scenario.client();
    admin
        .nodes()
        .withName(NODE)
        .edit(n -> new NodeBuilder(n).editSpec().withTaints(batchTaints()).endSpec().build());
    scenario.removeAfterAll(NS);
    ExampleManifests.apply(admin, NS, "aws-batch", "rbac.yaml");
    batch = BatchPods.asBatch(admin);
    scenario.closeAfterAll(batch);

    int port = FreePorts.take(1).getFirst();
    scenario.closeAfterAll(
        DriverControllerProcess.start(
            scenario.plane(),
            "default",
            List.of("-Xmx256m"),
            PreboundWebhooks.controllerEnv(scenario.plane(), port)));
    // The chart's webhook configurations, pointed at the controller's loopback port.
    scenario.closeAfterAll(PreboundWebhooks.register(scenario.plane(), port));
    wholeGpus =
        (int)
            scenario.node(NODE).publishedDevices().stream()
                .filter(d -> d.getName().matches("gpu-\\d+"))
                .count();
  }

  private static List<Taint> batchTaints() {
    return List.of(
        new TaintBuilder()
            .withKey("batch.amazonaws.com/batch-node")
            .withEffect("NoSchedule")
            .build(),
        new TaintBuilder()
            .withKey("batch.amazonaws.com/batch-node")
            .withEffect("NoExecute")
            .build());
  }

  private Pod batchPod(String name, String node, int gpus) throws IOException {
    return BatchPods.pod(admin, name, node, gpus);
  }

  private Pod createAsBatch(Pod pod) {
    return batch.pods().inNamespace(NS).resource(pod).create();
  }

  private Pod awaitRunning(String name) {
    Pod pod = TestPods.awaitRunning(admin, NS, name, TIMEOUT, scenario.nodes());
    assertThat(scenario.node(NODE).agent().problems()).isEmpty();
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    return pod;
  }

  private List<ResourceClaim> claimsOf(Pod pod) {
    return admin
        .dynamicResourceAllocation()
        .v1()
        .resourceClaims()
        .inNamespace(NS)
        .list()
        .getItems()
        .stream()
        .filter(
            c ->
                c.getMetadata().getOwnerReferences().stream()
                    .anyMatch(o -> o.getUid().equals(pod.getMetadata().getUid())))
        .toList();
  }

  @Test
  void aPreboundBatchPodGetsItsTwoGpusThroughTheRewrittenClaim() throws IOException {
    long start = System.nanoTime();
    Pod created = createAsBatch(batchPod("aws-batch.prebound-2", NODE, 2));

    assertThat(created.getSpec().getContainers().getFirst().getResources().getLimits())
        .doesNotContainKey("nvidia.com/gpu");
    assertThat(created.getSpec().getResourceClaims())
        .singleElement()
        .satisfies(
            c -> assertThat(c.getResourceClaimTemplateName()).isEqualTo("gpudra-gpu-gpudra-dev-2"));
    assertThat(created.getSpec().getNodeName()).isEqualTo(NODE);
    assertThat(created.getMetadata().getLabels()).containsKey("batch.amazonaws.com/job-id");

    Pod running = awaitRunning("aws-batch.prebound-2");
    System.out.printf(
        "[e2e] pre-bound Batch pod Running after %.1f s%n", (System.nanoTime() - start) / 1e9);
    ResourceClaim claim = claimsOf(running).getFirst();
    assertThat(claim.getStatus().getAllocation().getDevices().getResults())
        .hasSize(2)
        .allSatisfy(r -> assertThat(r.getPool()).isEqualTo(NODE));
    assertThat(claim.getStatus().getReservedFor())
        .anySatisfy(r -> assertThat(r.getUid()).isEqualTo(running.getMetadata().getUid()));
    batch.pods().inNamespace(NS).withName("aws-batch.prebound-2").delete();
    await()
        .atMost(TIMEOUT)
        .until(() -> admin.pods().inNamespace(NS).withName("aws-batch.prebound-2").get() == null);
  }

  @Test
  void aSchedulerPlacedBatchPodGetsTwoGpusThroughTheExtendedResourceName() throws IOException {
    Pod created = createAsBatch(batchPod("aws-batch.scheduled-2", null, 2));

    assertThat(created.getSpec().getResourceClaims()).as("webhook leaves it alone").isEmpty();
    Pod running = awaitRunning("aws-batch.scheduled-2");
    assertThat(running.getSpec().getNodeName()).isEqualTo(NODE);
    assertThat(running.getStatus().getExtendedResourceClaimStatus()).isNotNull();
    batch.pods().inNamespace(NS).withName("aws-batch.scheduled-2").delete();
    await()
        .atMost(TIMEOUT)
        .until(() -> admin.pods().inNamespace(NS).withName("aws-batch.scheduled-2").get() == null);
  }

  @Test
  void aPreboundPodAskingMoreThanIsFreeWaitsWithTheReasonThenRunsOnceGpusAreFreed()
      throws IOException {
    createAsBatch(batchPod("aws-batch.holder", NODE, 2));
    awaitRunning("aws-batch.holder");
    createAsBatch(batchPod("aws-batch.waiter", NODE, wholeGpus - 1));

    var event =
        await("ClaimPending Event on the waiting pod")
            .atMost(TIMEOUT)
            .until(
                () ->
                    admin.v1().events().inNamespace(NS).list().getItems().stream()
                        .filter(e -> "aws-batch.waiter".equals(e.getInvolvedObject().getName()))
                        .filter(e -> "ClaimPending".equals(e.getReason()))
                        .findFirst(),
                java.util.Optional::isPresent)
            .orElseThrow();
    System.out.println("[e2e] waiting pre-bound pod: " + event.getMessage());
    assertThat(event.getMessage()).contains("node " + NODE).contains("allocated to other claims");
    assertThat(
            admin.pods().inNamespace(NS).withName("aws-batch.waiter").get().getStatus().getPhase())
        .isEqualTo("Pending");

    batch.pods().inNamespace(NS).withName("aws-batch.holder").delete();

    awaitRunning("aws-batch.waiter");
    batch.pods().inNamespace(NS).withName("aws-batch.waiter").delete();
    await()
        .atMost(TIMEOUT)
        .until(() -> admin.pods().inNamespace(NS).withName("aws-batch.waiter").get() == null);
  }

  @Test
  void theApiServerRefusesAClaimWithMalformedGpudraConfigNamingTheField() {
    var claim =
        admin
            .dynamicResourceAllocation()
            .v1()
            .resourceClaims()
            .load(
                new java.io.ByteArrayInputStream(
                    """
                apiVersion: resource.k8s.io/v1
                kind: ResourceClaim
                metadata: {name: bad-mps}
                spec:
                  devices:
                    requests: [{name: gpu, exactly: {deviceClassName: gpu.gpudra.dev}}]
                    config:
                      - opaque:
                          driver: gpu.gpudra.dev
                          parameters:
                            apiVersion: gpu.gpudra.dev/v1
                            kind: GpuConfig
                            sharing: {strategy: MPS, mpsConfig: {defaultActiveThreadPercentage: 150}}
                """
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .item();

    assertThatThrownBy(() -> admin.resource(claim).inNamespace(NS).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(
            "spec.devices.config[0].opaque.parameters.sharing.mpsConfig.defaultActiveThreadPercentage");
  }
}
