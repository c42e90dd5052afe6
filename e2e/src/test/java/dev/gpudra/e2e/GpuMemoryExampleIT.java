package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/gpu-40gi/} applied unchanged to a cluster with two fake nodes, each with its own
 * plugin publishing its slices: a 1x L4 (24Gi, too small) and an 8x A100 80GB. The memory selector
 * has to lead the scheduler to an A100; the plugin there prepares it and unprepares it when the pod
 * is deleted.
 */
class GpuMemoryExampleIT {

  private static final String NAMESPACE = "example-gpu-40gi";
  private static final String EXAMPLE = "gpu-40gi";
  private static final String POD = "gpu-40gi";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern FULL_GPU = Pattern.compile("gpu-(\\d+)");
  private static final BigDecimal GI_40 = Quantity.getAmountInBytes(new Quantity("40Gi"));

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.inNamespace(NAMESPACE)
          .withNode("mem-l4-1x", "l4-1x")
          .withNode("mem-a100-8x", "a100-8x");

  private final KubernetesClient client = scenario.client();
  private final FakeGpuNode small = scenario.node("mem-l4-1x");
  private final FakeGpuNode large = scenario.node("mem-a100-8x");

  @Test
  void podGetsAGpuWithAtLeast40GiFromTheA100NodeNeverTheL4() throws IOException {
    // The L4 node offers a GPU, just a too small one: otherwise the choice would prove nothing.
    assertThat(memoryOfDevices(small)).isNotEmpty().allMatch(m -> m.compareTo(GI_40) < 0);

    long start = System.nanoTime();
    ExampleManifests.apply(client, NAMESPACE, EXAMPLE, "claim-template.yaml", "pod.yaml");
    Pod pod = TestPods.awaitRunning(client, NAMESPACE, POD, TIMEOUT, scenario.nodes());
    System.out.printf("[e2e] gpu-40gi pod Running after %.1f s%n", seconds(start));

    assertThat(small.agent().problems()).isEmpty();
    assertThat(large.agent().problems()).isEmpty();
    assertThat(pod.getSpec().getNodeName()).isEqualTo(large.name());
    ResourceClaim claim = TestPods.onlyClaim(client, pod);
    List<DeviceRequestAllocationResult> results =
        claim.getStatus().getAllocation().getDevices().getResults();
    assertThat(results).hasSize(1);
    DeviceRequestAllocationResult result = results.getFirst();
    assertThat(result.getPool()).isEqualTo(large.name());
    Matcher device = FULL_GPU.matcher(result.getDevice());
    assertThat(device.matches()).as("device %s is a full GPU", result.getDevice()).isTrue();
    assertThat(memoryOf(large, result.getDevice())).isGreaterThanOrEqualTo(GI_40);
    String claimUid = claim.getMetadata().getUid();
    Path spec = large.cdiSpec(claimUid);
    assertThat(large.cdiDeviceNodePaths(claimUid)).contains("/dev/nvidia" + device.group(1));
    System.out.printf(
        "[e2e] claim %s got %s on %s; CDI spec %s%n",
        claim.getMetadata().getName(), result.getDevice(), large.name(), spec);

    long deleting = System.nanoTime();
    TestPods.deleteAndAwaitGone(client, NAMESPACE, POD, TIMEOUT);
    System.out.printf("[e2e] gpu-40gi pod unprepared and gone after %.1f s%n", seconds(deleting));

    assertThat(spec).doesNotExist();
    assertThat(large.agent().problems()).isEmpty();
  }

  /** The {@code memory} capacity, in bytes, of every device the node's plugin published. */
  private static List<BigDecimal> memoryOfDevices(FakeGpuNode node) {
    return node.publishedDevices().stream()
        .filter(d -> d.getCapacity() != null && d.getCapacity().containsKey("memory"))
        .map(d -> Quantity.getAmountInBytes(d.getCapacity().get("memory").getValue()))
        .toList();
  }

  private static BigDecimal memoryOf(FakeGpuNode node, String deviceName) {
    Device device =
        node.publishedDevices().stream()
            .filter(d -> d.getName().equals(deviceName))
            .findFirst()
            .orElseThrow(
                () -> new AssertionError(deviceName + " is in no slice of " + node.name()));
    return Quantity.getAmountInBytes(device.getCapacity().get("memory").getValue());
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }
}
