package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.ControlPlaneExtension;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.TestNamespaces;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code examples/gpu-40gi/} applied unchanged to a cluster with two fake nodes, each with its own
 * plugin publishing its slices: a 1x L4 (24Gi, too small) and an 8x A100 80GB. The memory selector
 * has to lead the scheduler to an A100; the plugin there prepares it and unprepares it when the pod
 * is deleted.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GpuMemoryExampleIT {

  private static final String NAMESPACE = "example-gpu-40gi";
  private static final String EXAMPLE = "gpu-40gi";
  private static final String POD = "gpu-40gi";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern FULL_GPU = Pattern.compile("gpu-(\\d+)");
  private static final BigDecimal GI_40 = Quantity.getAmountInBytes(new Quantity("40Gi"));

  private final ControlPlane plane;
  private final KubernetesClient client;
  private FakeGpuNode small;
  private FakeGpuNode large;

  GpuMemoryExampleIT(ControlPlane plane) {
    this.plane = plane;
    this.client = plane.client();
  }

  @BeforeAll
  void anL4NodeAndAnA100Node() throws IOException {
    ChartDeviceClasses.apply(plane);
    TestNamespaces.create(client, NAMESPACE);
    long start = System.nanoTime();
    small = FakeGpuNode.start(plane, "mem-l4-1x", "l4-1x");
    large = FakeGpuNode.start(plane, "mem-a100-8x", "a100-8x");
    System.out.printf(
        "[e2e] fake nodes %s and %s: plugins ready and registered in %.1f s%n",
        small.name(), large.name(), seconds(start));
  }

  @AfterAll
  void removeNodesAndNamespace() {
    for (FakeGpuNode node : new FakeGpuNode[] {small, large}) {
      if (node != null) {
        node.close();
      }
    }
    client.namespaces().withName(NAMESPACE).delete();
  }

  @Test
  void podGetsAGpuWithAtLeast40GiFromTheA100NodeNeverTheL4() throws IOException {
    // The L4 node offers a GPU, just a too small one: otherwise the choice would prove nothing.
    assertThat(memoryOfDevices(small.name())).isNotEmpty().allMatch(m -> m.compareTo(GI_40) < 0);

    long start = System.nanoTime();
    ExampleManifests.apply(client, NAMESPACE, EXAMPLE, "claim-template.yaml", "pod.yaml");
    Pod pod = awaitRunning();
    System.out.printf("[e2e] gpu-40gi pod Running after %.1f s%n", seconds(start));

    assertThat(small.agent().problems()).isEmpty();
    assertThat(large.agent().problems()).isEmpty();
    assertThat(pod.getSpec().getNodeName()).isEqualTo(large.name());
    ResourceClaim claim = podClaim(pod);
    List<DeviceRequestAllocationResult> results =
        claim.getStatus().getAllocation().getDevices().getResults();
    assertThat(results).hasSize(1);
    DeviceRequestAllocationResult result = results.getFirst();
    assertThat(result.getPool()).isEqualTo(large.name());
    Matcher device = FULL_GPU.matcher(result.getDevice());
    assertThat(device.matches()).as("device %s is a full GPU", result.getDevice()).isTrue();
    assertThat(memoryOf(large.name(), result.getDevice())).isGreaterThanOrEqualTo(GI_40);
    String claimUid = claim.getMetadata().getUid();
    Path spec = large.cdiSpec(claimUid);
    assertThat(large.cdiDeviceNodePaths(claimUid)).contains("/dev/nvidia" + device.group(1));
    System.out.printf(
        "[e2e] claim %s got %s on %s; CDI spec %s%n",
        claim.getMetadata().getName(), result.getDevice(), large.name(), spec);

    long deleting = System.nanoTime();
    client.pods().inNamespace(NAMESPACE).withName(POD).delete();
    await("deletion of pod " + POD)
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> client.pods().inNamespace(NAMESPACE).withName(POD).get() == null);
    System.out.printf("[e2e] gpu-40gi pod unprepared and gone after %.1f s%n", seconds(deleting));

    assertThat(spec).doesNotExist();
    assertThat(large.agent().problems()).isEmpty();
  }

  private Pod awaitRunning() {
    return TestPods.awaitRunning(client, NAMESPACE, POD, TIMEOUT, List.of(small, large));
  }

  private ResourceClaim podClaim(Pod pod) {
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

  /** The {@code memory} capacity, in bytes, of every device the node's plugin published. */
  private List<BigDecimal> memoryOfDevices(String node) {
    return devices(node).stream()
        .filter(d -> d.getCapacity() != null && d.getCapacity().containsKey("memory"))
        .map(d -> Quantity.getAmountInBytes(d.getCapacity().get("memory").getValue()))
        .toList();
  }

  private BigDecimal memoryOf(String node, String deviceName) {
    Device device =
        devices(node).stream()
            .filter(d -> d.getName().equals(deviceName))
            .findFirst()
            .orElseThrow(() -> new AssertionError(deviceName + " is in no slice of " + node));
    return Quantity.getAmountInBytes(device.getCapacity().get("memory").getValue());
  }

  private List<Device> devices(String node) {
    return client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
        .filter(s -> FakeGpuNode.DRIVER.equals(s.getSpec().getDriver()))
        .filter(s -> node.equals(s.getSpec().getPool().getName()))
        .flatMap(s -> s.getSpec().getDevices().stream())
        .toList();
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }
}
