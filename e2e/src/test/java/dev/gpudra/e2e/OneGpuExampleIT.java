package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.ControlPlaneExtension;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.NodeAgent;
import dev.gpudra.e2e.nodes.TestNamespaces;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.plugin.emulator.ClaimOutcome;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code examples/one-gpu/} applied unchanged to a cluster with one fake 8x A100 node whose plugin
 * publishes its own slices: the controller manager makes the pod's claim from the template, the
 * scheduler allocates a GPU of the node, the plugin prepares it for the node's kubelet (the node
 * agent), and deleting the pod unprepares it.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OneGpuExampleIT {

  private static final String NAMESPACE = "example-one-gpu";
  private static final String EXAMPLE = "one-gpu";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern FULL_GPU = Pattern.compile("gpu-(\\d+)");

  private final ControlPlane plane;
  private final KubernetesClient client;
  private FakeGpuNode node;

  OneGpuExampleIT(ControlPlane plane) {
    this.plane = plane;
    this.client = plane.client();
  }

  @BeforeAll
  void oneFakeA100NodeWithItsPlugin() throws IOException {
    ChartDeviceClasses.apply(plane);
    TestNamespaces.create(client, NAMESPACE);
    long start = System.nanoTime();
    node = FakeGpuNode.start(plane, "gpu-a100-8x", "a100-8x");
    System.out.printf(
        "[e2e] fake node %s: plugin ready and registered in %.1f s (log %s)%n",
        node.name(), seconds(start), node.pluginLog());
  }

  @AfterAll
  void removeNodeAndNamespace() {
    if (node != null) {
      node.close();
    }
    client.namespaces().withName(NAMESPACE).delete();
  }

  @Test
  void podGetsOneGpuOfTheNodePreparedAndDeletingItUnprepares() throws IOException {
    long start = System.nanoTime();
    ExampleManifests.apply(client, NAMESPACE, EXAMPLE, "claim-template.yaml", "pod.yaml");

    Pod pod = awaitRunning("one-gpu");
    System.out.printf("[e2e] one-gpu pod Running after %.1f s%n", seconds(start));

    assertThat(pod.getSpec().getNodeName()).isEqualTo(node.name());
    ResourceClaim claim = podClaim(pod);
    List<DeviceRequestAllocationResult> results =
        claim.getStatus().getAllocation().getDevices().getResults();
    assertThat(results).hasSize(1);
    DeviceRequestAllocationResult result = results.getFirst();
    assertThat(result.getDriver()).isEqualTo(FakeGpuNode.DRIVER);
    assertThat(result.getPool()).isEqualTo(node.name());
    Matcher device = FULL_GPU.matcher(result.getDevice());
    assertThat(device.matches()).as("device %s is a full GPU", result.getDevice()).isTrue();
    String minor = device.group(1);
    String claimUid = claim.getMetadata().getUid();

    NodeAgent.PreparedPod prepared =
        node.agent().prepared(pod.getMetadata().getUid()).orElseThrow();
    assertThat(prepared.outcomes().get(claimUid).devices())
        .extracting(ClaimOutcome.PreparedDeviceView::cdiDeviceIds)
        .containsExactly(
            List.of("k8s.gpu.gpudra.dev/claim=" + claimUid + "-" + result.getDevice()));
    Path spec = node.cdiSpec(claimUid);
    assertThat(spec).exists();
    assertThat(node.cdiDeviceNodePaths(claimUid)).contains("/dev/nvidia" + minor);
    System.out.printf(
        "[e2e] claim %s got %s on %s; CDI spec %s%n",
        claim.getMetadata().getName(), result.getDevice(), node.name(), spec);

    long deleting = System.nanoTime();
    client.pods().inNamespace(NAMESPACE).withName("one-gpu").delete();
    await("deletion of pod one-gpu")
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> client.pods().inNamespace(NAMESPACE).withName("one-gpu").get() == null);
    System.out.printf("[e2e] one-gpu pod unprepared and gone after %.1f s%n", seconds(deleting));

    assertThat(spec).doesNotExist();
    assertThat(node.agent().problems()).isEmpty();
  }

  private Pod awaitRunning(String name) {
    return TestPods.awaitRunning(client, NAMESPACE, name, TIMEOUT, List.of(node));
  }

  private ResourceClaim podClaim(Pod pod) {
    assertThat(node.agent().problems()).isEmpty();
    assertThat(pod.getStatus().getResourceClaimStatuses()).hasSize(1);
    String name = pod.getStatus().getResourceClaimStatuses().getFirst().getResourceClaimName();
    return client
        .dynamicResourceAllocation()
        .v1()
        .resourceClaims()
        .inNamespace(NAMESPACE)
        .withName(name)
        .get();
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }
}
