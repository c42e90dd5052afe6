package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.DeviceNames;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.nodes.FakeNodes;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.e2e.nodes.TestClaims;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.plugin.slices.ResourceSlicePublisher;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real kube-scheduler allocates ResourceClaims from our dynamic-MIG slices of an 8x H100 node
 * and the chart's DeviceClasses, mapped as the plugin maps them: the GPUs in MIG mode (6 and 7) are
 * offered as placements, whose shared counters keep overlapping MIG devices apart, the others
 * whole. No kubelet runs, so a scheduled pod stays Pending but bound: its {@code spec.nodeName} and
 * the claim's {@code status.allocation} are the scheduler's answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SchedulerAllocatesFromSlicesIT {

  private static final String DRIVER = "gpu.gpudra.dev";
  private static final String NAMESPACE = "scheduling";
  private static final Duration SCHEDULING_TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension static final GpuScenario scenario = GpuScenario.inNamespace(NAMESPACE);

  private KubernetesClient client;
  private NodeInventory inventory;
  private int nodes;

  /** This test's node; each test gets a fresh one, so earlier allocations do not leak in. */
  private String node;

  @BeforeAll
  void discoverAnH100Node() {
    client = scenario.client();
    inventory =
        MockNodeDiscovery.discover("h100-8x", scenario.plane().workDir().resolve("mock-nvml"));
  }

  @BeforeEach
  void nodeWithDynamicMigSlicesOf8xH100() {
    node = "sched-h100-8x-" + ++nodes;
    FakeNodes.createReady(client, node);
    new ResourceSlicePublisher(client, DRIVER, node)
        .publish(ResourceSliceMapper.map(inventory, new SliceMappingOptions(DRIVER, node, true)));
  }

  @AfterEach
  void removeNode() {
    new ResourceSlicePublisher(client, DRIVER, node).deleteAll();
    client.nodes().withName(node).delete();
  }

  @Test
  void allocatesAMig1g10gbSliceAndAFullGpuThatDoNotOverlap() {
    createClaim(
        "mig-1g10gb",
        "mig.gpudra.dev",
        "device.attributes[\"gpu.gpudra.dev\"].profile == \"1g.10gb\"",
        1);
    createClaim("full-gpu", "gpu.gpudra.dev", null, 1);
    createPod("mig-pod", "mig-1g10gb");
    createPod("gpu-pod", "full-gpu");

    DeviceRequestAllocationResult mig = awaitAllocation("mig-1g10gb").getFirst();
    DeviceRequestAllocationResult gpu = awaitAllocation("full-gpu").getFirst();
    awaitBound("mig-pod");
    awaitBound("gpu-pod");

    assertThat(List.of(mig.getDriver(), gpu.getDriver())).containsOnly(DRIVER);
    assertThat(List.of(mig.getPool(), gpu.getPool())).containsOnly(node);
    DeviceNames.Parsed migDevice = parse(mig.getDevice());
    DeviceNames.Parsed fullGpu = parse(gpu.getDevice());
    assertThat(migDevice)
        .isInstanceOfSatisfying(
            DeviceNames.Parsed.Mig.class, m -> assertThat(m.profileLabel()).isEqualTo("1g10gb"));
    assertThat(fullGpu).isInstanceOf(DeviceNames.Parsed.FullGpu.class);
    // The full GPU consumes every counter of its GPU, so a MIG placement on it would overlap.
    assertThat(migDevice.minor()).isNotEqualTo(fullGpu.minor());
    System.out.printf(
        "[e2e] scheduler allocated %s and %s on %s%n", mig.getDevice(), gpu.getDevice(), node);
  }

  @Test
  void aClaimNoNodeCanSatisfyStaysUnallocatedAndThePodSaysWhy() {
    createClaim(
        "b200",
        "gpu.gpudra.dev",
        "device.attributes[\"gpu.gpudra.dev\"].productName == \"NVIDIA B200\"",
        1);
    createPod("b200-pod", "b200");

    PodCondition scheduled = awaitUnschedulable("b200-pod");

    assertThat(scheduled.getMessage()).contains("claim");
    assertThat(allocated("b200")).as("b200 claim allocated").isFalse();
    assertThat(
            client.pods().inNamespace(NAMESPACE).withName("b200-pod").get().getSpec().getNodeName())
        .isNull();
    System.out.println("[e2e] unschedulable pod reports: " + scheduled.getMessage());
  }

  @Test
  void noMigDeviceIsCarvedFromGpusTakenByWholeGpuInstancesUntilTheyAreFreed() {
    // A 7g.80gb placement consumes every counter of its GPU: two take both MIG GPUs.
    createClaim(
        "all-gpus",
        "mig.gpudra.dev",
        "device.attributes[\"gpu.gpudra.dev\"].profile == \"7g.80gb\"",
        2);
    createPod("all-gpus-pod", "all-gpus");
    assertThat(awaitAllocation("all-gpus"))
        .extracting(r -> parse(r.getDevice()).minor())
        .containsExactlyInAnyOrder(6, 7);

    createClaim(
        "mig-after-all",
        "mig.gpudra.dev",
        "device.attributes[\"gpu.gpudra.dev\"].profile == \"1g.10gb\"",
        1);
    createPod("mig-after-all-pod", "mig-after-all");
    PodCondition blocked = awaitUnschedulable("mig-after-all-pod");
    assertThat(allocated("mig-after-all"))
        .as("MIG claim allocated while every MIG GPU is taken by a 7g instance")
        .isFalse();

    // No kubelet runs to finish a graceful deletion, so the pod goes at once; the controller
    // manager then releases the claim and the scheduler retries the waiting pod.
    client.pods().inNamespace(NAMESPACE).withName("all-gpus-pod").withGracePeriod(0).delete();
    client
        .dynamicResourceAllocation()
        .v1()
        .resourceClaims()
        .inNamespace(NAMESPACE)
        .withName("all-gpus")
        .delete();

    assertThat(parse(awaitAllocation("mig-after-all").getFirst().getDevice()))
        .isInstanceOfSatisfying(
            DeviceNames.Parsed.Mig.class, m -> assertThat(m.profileLabel()).isEqualTo("1g10gb"));
    awaitBound("mig-after-all-pod");
    System.out.println("[e2e] MIG pod waited with: " + blocked.getMessage());
  }

  private PodCondition awaitUnschedulable(String pod) {
    return TestPods.awaitUnschedulable(client, NAMESPACE, pod, SCHEDULING_TIMEOUT);
  }

  private void createClaim(String name, String deviceClass, String cel, int count) {
    client
        .resource(TestClaims.exactly(name, "device", deviceClass, Optional.ofNullable(cel), count))
        .inNamespace(NAMESPACE)
        .create();
  }

  /** A pod for the claim; no nodeName, so the scheduler has to place it. */
  private void createPod(String name, String claim) {
    // Only the node of this class: others in the shared cluster may offer devices too.
    client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(TestPods.usingClaim(name, "device", claim, Optional.of(node)))
        .create();
  }

  private List<DeviceRequestAllocationResult> awaitAllocation(String claim) {
    return await("allocation of claim " + claim)
        .atMost(SCHEDULING_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              ResourceClaim current = claim(claim);
              return current.getStatus() == null || current.getStatus().getAllocation() == null
                  ? List.<DeviceRequestAllocationResult>of()
                  : current.getStatus().getAllocation().getDevices().getResults();
            },
            results -> !results.isEmpty());
  }

  private void awaitBound(String pod) {
    await("binding of pod " + pod)
        .atMost(SCHEDULING_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> client.pods().inNamespace(NAMESPACE).withName(pod).get().getSpec().getNodeName(),
            node::equals);
  }

  private boolean allocated(String name) {
    ResourceClaim current = claim(name);
    return current.getStatus() != null && current.getStatus().getAllocation() != null;
  }

  private ResourceClaim claim(String name) {
    return client
        .dynamicResourceAllocation()
        .v1()
        .resourceClaims()
        .inNamespace(NAMESPACE)
        .withName(name)
        .get();
  }

  private static DeviceNames.Parsed parse(String device) {
    return DeviceNames.parse(device)
        .orElseThrow(() -> new AssertionError("not a gpudra device name: " + device));
  }
}
