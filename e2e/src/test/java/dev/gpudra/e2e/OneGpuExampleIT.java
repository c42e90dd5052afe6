package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.NodeAgent;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/one-gpu/} applied unchanged to a cluster with one fake 8x A100 node whose plugin
 * publishes its own slices: the controller manager makes the pod's claim from the template, the
 * scheduler allocates a GPU of the node, the plugin prepares it for the node's kubelet (the node
 * agent), and deleting the pod unprepares it.
 */
class OneGpuExampleIT {

  private static final String NAMESPACE = "example-one-gpu";
  private static final String EXAMPLE = "one-gpu";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern FULL_GPU = Pattern.compile("gpu-(\\d+)");

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.inNamespace(NAMESPACE).withNode("gpu-a100-8x", "a100-8x");

  private final KubernetesClient client = scenario.client();
  private final FakeGpuNode node = scenario.node("gpu-a100-8x");

  @Test
  void podGetsOneGpuOfTheNodePreparedAndDeletingItUnprepares() throws IOException {
    long start = System.nanoTime();
    ExampleManifests.apply(client, NAMESPACE, EXAMPLE, "claim-template.yaml", "pod.yaml");

    Pod pod = TestPods.awaitRunning(client, NAMESPACE, "one-gpu", TIMEOUT, scenario.nodes());
    System.out.printf("[e2e] one-gpu pod Running after %.1f s%n", seconds(start));

    assertThat(pod.getSpec().getNodeName()).isEqualTo(node.name());
    assertThat(node.agent().problems()).isEmpty();
    ResourceClaim claim = TestPods.onlyClaim(client, pod);
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
    TestPods.deleteAndAwaitGone(client, NAMESPACE, "one-gpu", TIMEOUT);
    System.out.printf("[e2e] one-gpu pod unprepared and gone after %.1f s%n", seconds(deleting));

    assertThat(spec).doesNotExist();
    assertThat(node.agent().problems()).isEmpty();
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }
}
