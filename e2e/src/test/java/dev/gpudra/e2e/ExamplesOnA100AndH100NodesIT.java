package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The examples of {@code examples/} beyond one GPU and memory, each applied unchanged to a cluster
 * with a fake 8x A100 80GB node and a fake 8x H100 node whose plugins publish their own slices: the
 * real scheduler allocates (prioritized lists, MIG, admin access, extended resources), the plugins
 * prepare through the node agents, and every CDI spec names the allocated devices.
 *
 * <p>The chart's DeviceClasses are installed with {@code extendedResourceName: nvidia.com/gpu}, as
 * the extended-resource example tells users to; the other examples do not depend on it.
 */
class ExamplesOnA100AndH100NodesIT {

  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final String A100_NODE = "gpu-a100-8x";
  private static final String H100_NODE = "gpu-h100-8x";
  private static final String MIG_NAME = "gpu-\\d+-mig-1g10gb-\\d+-\\d+";

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.withoutNamespace()
          .withDeviceClasses("deviceClasses.gpu.extendedResourceName=nvidia.com/gpu")
          .withNode(A100_NODE, "a100-8x")
          .withNode(H100_NODE, "h100-8x");

  private final KubernetesClient client = scenario.client();

  /** {@code examples/h100-else-a100}: an H100 while one is free, an A100 once none is. */
  @Test
  void h100ElseA100TakesAnH100FirstAndAnA100WhenTheH100sAreTaken() {
    String ns = namespace("example-h100-else-a100");
    long start = System.nanoTime();
    ExampleManifests.apply(client, ns, "h100-else-a100", "claim-template.yaml", "pod.yaml");
    DeviceRequestAllocationResult first = onlyResult(awaitRunning(ns, "h100-else-a100"));
    assertThat(first.getRequest()).isEqualTo("gpu/h100");
    assertThat(first.getPool()).isEqualTo(H100_NODE);
    assertThat(first.getDevice()).matches("gpu-\\d+");
    System.out.printf(
        "[e2e] h100-else-a100: %s %s/%s after %.1f s%n",
        first.getRequest(), first.getPool(), first.getDevice(), secs(start));
    deletePods(ns);

    // Every whole H100 taken by one claim (allocation mode All) of a pod of its own.
    ResourceClaim allH100 =
        client
            .resource(
                new ResourceClaimBuilder()
                    .withNewMetadata()
                    .withName("all-h100")
                    .endMetadata()
                    .withNewSpec()
                    .withNewDevices()
                    .addNewRequest()
                    .withName("gpus")
                    .withNewExactly()
                    .withDeviceClassName("gpu.gpudra.dev")
                    .withAllocationMode("All")
                    .addNewSelector()
                    .withNewCel()
                    .withExpression(
                        "device.attributes[\"gpu.gpudra.dev\"].productName.startsWith(\"NVIDIA"
                            + " H100\")")
                    .endCel()
                    .endSelector()
                    .endExactly()
                    .endRequest()
                    .endDevices()
                    .endSpec()
                    .build())
            .inNamespace(ns)
            .create();
    client
        .resource(
            TestPods.usingClaim(
                "h100-holder", "gpus", allH100.getMetadata().getName(), Optional.empty()))
        .inNamespace(ns)
        .create();
    Pod holder = awaitRunning(ns, "h100-holder");
    assertThat(allocated(holder)).hasSize(wholeGpus(H100_NODE).size());

    start = System.nanoTime();
    ExampleManifests.apply(client, ns, "h100-else-a100", "pod.yaml");
    DeviceRequestAllocationResult second = onlyResult(awaitRunning(ns, "h100-else-a100"));
    assertThat(second.getRequest()).isEqualTo("gpu/a100");
    assertThat(second.getPool()).isEqualTo(A100_NODE);
    System.out.printf(
        "[e2e] h100-else-a100 with every H100 taken: %s %s/%s after %.1f s%n",
        second.getRequest(), second.getPool(), second.getDevice(), secs(start));
  }

  /** {@code examples/mig-1g10gb}: one existing 1g.10gb MIG device of the A100 node. */
  @Test
  void mig1g10gbGetsOneMigDeviceWithItsCapabilityNodes() throws IOException {
    String ns = namespace("example-mig-1g10gb");
    long start = System.nanoTime();
    ExampleManifests.apply(client, ns, "mig-1g10gb", "claim-template.yaml", "pod.yaml");
    Pod pod = awaitRunning(ns, "mig-1g10gb");
    DeviceRequestAllocationResult result = onlyResult(pod);
    assertThat(result.getPool()).isEqualTo(A100_NODE);
    assertThat(result.getDevice()).matches(MIG_NAME);
    assertThat(attribute(A100_NODE, result.getDevice(), "profile")).contains("1g.10gb");

    String claimUid = PodClaims.of(client, pod).getFirst().getMetadata().getUid();
    String parentMinor = result.getDevice().replaceFirst("gpu-(\\d+)-mig-.*", "$1");
    List<String> deviceNodes = node(A100_NODE).cdiDeviceNodePaths(claimUid);
    assertThat(deviceNodes).contains("/dev/nvidia" + parentMinor);
    assertThat(deviceNodes).anyMatch(p -> p.startsWith("/dev/nvidia-caps/nvidia-cap"));
    System.out.printf(
        "[e2e] mig-1g10gb: %s on %s, device nodes %s, after %.1f s%n",
        result.getDevice(), A100_NODE, deviceNodes, secs(start));

    deletePods(ns);
    assertThat(node(A100_NODE).cdiSpec(claimUid)).doesNotExist();
  }

  /**
   * {@code examples/shared-claim}: two pods on one claim share its GPU; the claim stays prepared
   * until the last of them is gone.
   */
  @Test
  void sharedClaimGivesBothPodsTheSameGpuAndStaysPreparedWhileOneUsesIt() {
    String ns = namespace("example-shared-claim");
    long start = System.nanoTime();
    ExampleManifests.apply(client, ns, "shared-claim", "claim.yaml", "pods.yaml");
    Pod server = awaitRunning(ns, "shared-gpu-server");
    Pod evaluator = awaitRunning(ns, "shared-gpu-evaluator");
    assertThat(evaluator.getSpec().getNodeName()).isEqualTo(server.getSpec().getNodeName());
    ResourceClaim claim =
        client
            .dynamicResourceAllocation()
            .v1()
            .resourceClaims()
            .inNamespace(ns)
            .withName("shared-gpu")
            .get();
    assertThat(claim.getStatus().getReservedFor())
        .extracting(r -> r.getUid())
        .containsExactlyInAnyOrder(server.getMetadata().getUid(), evaluator.getMetadata().getUid());
    FakeGpuNode node = node(server.getSpec().getNodeName());
    String claimUid = claim.getMetadata().getUid();
    List<String> serverDevices = preparedDevices(node, server, claimUid);
    assertThat(serverDevices).hasSize(1).isEqualTo(preparedDevices(node, evaluator, claimUid));
    System.out.printf(
        "[e2e] shared-claim: both pods on %s/%s after %.1f s%n",
        node.name(), serverDevices.getFirst(), secs(start));

    deletePod(ns, "shared-gpu-server");
    assertThat(node.cdiSpec(claimUid))
        .as("the evaluator still uses the claim, so its CDI spec stays")
        .exists();
    assertThat(
            client
                .pods()
                .inNamespace(ns)
                .withName("shared-gpu-evaluator")
                .get()
                .getStatus()
                .getPhase())
        .isEqualTo("Running");
    deletePod(ns, "shared-gpu-evaluator");
    assertThat(node.cdiSpec(claimUid)).doesNotExist();
    assertNoAgentProblems();
  }

  /**
   * {@code examples/admin-access}: the monitoring pod gets every whole GPU of its node with admin
   * access, including one a workload holds at the same time.
   */
  @Test
  void adminAccessMonitoringPodSeesEveryGpuOfItsNodeIncludingOnesInUse() throws IOException {
    String workers = namespace("admin-access-workers");
    scenario.removeAfterTest("gpu-monitoring");
    ExampleManifests.apply(client, workers, "one-gpu", "claim-template.yaml");
    for (String nodeName : List.of(A100_NODE, H100_NODE)) {
      client
          .resource(
              TestPods.fromTemplate("worker-" + nodeName, "gpu", "one-gpu", Optional.of(nodeName)))
          .inNamespace(workers)
          .create();
    }
    Map<String, String> workerDevice =
        Map.of(
            A100_NODE, onlyResult(awaitRunning(workers, "worker-" + A100_NODE)).getDevice(),
            H100_NODE, onlyResult(awaitRunning(workers, "worker-" + H100_NODE)).getDevice());

    long start = System.nanoTime();
    ExampleManifests.apply(
        client, null, "admin-access", "namespace.yaml", "claim-template.yaml", "pod.yaml");
    Pod monitor = awaitRunning("gpu-monitoring", "gpu-monitor");
    String nodeName = monitor.getSpec().getNodeName();
    List<DeviceRequestAllocationResult> results = allocated(monitor);
    assertThat(results).allMatch(r -> Boolean.TRUE.equals(r.getAdminAccess()));
    assertThat(results)
        .extracting(DeviceRequestAllocationResult::getDevice)
        .containsExactlyInAnyOrderElementsOf(wholeGpus(nodeName))
        .contains(workerDevice.get(nodeName));
    String claimUid = PodClaims.of(client, monitor).getFirst().getMetadata().getUid();
    String inUseMinor = workerDevice.get(nodeName).substring("gpu-".length());
    assertThat(node(nodeName).cdiDeviceNodePaths(claimUid)).contains("/dev/nvidia" + inUseMinor);
    System.out.printf(
        "[e2e] admin-access: gpu-monitor on %s got %d GPUs (worker's %s among them) after %.1f s%n",
        nodeName, results.size(), workerDevice.get(nodeName), secs(start));
  }

  /**
   * {@code examples/nvidia-gpu-extended-resource}: a pod asking {@code nvidia.com/gpu: 1} and no
   * claim gets a GPU through the claim the scheduler makes for it.
   */
  @Test
  void nvidiaGpuExtendedResourceIsServedThroughAClaimTheSchedulerMakes() throws IOException {
    String ns = namespace("example-nvidia-gpu");
    long start = System.nanoTime();
    ExampleManifests.apply(client, ns, "nvidia-gpu-extended-resource", "pod.yaml");
    Pod pod = awaitRunning(ns, "nvidia-gpu");
    assertThat(pod.getStatus().getExtendedResourceClaimStatus()).isNotNull();
    assertThat(pod.getStatus().getExtendedResourceClaimStatus().getRequestMappings())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getContainerName()).isEqualTo("cuda");
              assertThat(m.getResourceName()).isEqualTo("nvidia.com/gpu");
            });
    ResourceClaim claim = PodClaims.of(client, pod).getFirst();
    assertThat(claim.getMetadata().getAnnotations())
        .containsEntry("resource.kubernetes.io/extended-resource-claim", "true");
    DeviceRequestAllocationResult result = onlyResult(pod);
    assertThat(result.getDevice()).matches("gpu-\\d+");
    FakeGpuNode node = node(pod.getSpec().getNodeName());
    String claimUid = claim.getMetadata().getUid();
    assertThat(node.cdiDeviceNodePaths(claimUid))
        .contains("/dev/nvidia" + result.getDevice().substring("gpu-".length()));
    System.out.printf(
        "[e2e] nvidia.com/gpu: 1 served by claim %s with %s/%s after %.1f s%n",
        claim.getMetadata().getName(), result.getPool(), result.getDevice(), secs(start));
    deletePods(ns);
    assertThat(node.cdiSpec(claimUid)).doesNotExist();
  }

  /**
   * {@code examples/unsatisfiable}: no GPU has 200Gi, so the pod stays Pending and the scheduler
   * says why on the pod.
   */
  @Test
  void unsatisfiableClaimStaysPendingWithTheSchedulersReason() {
    String ns = namespace("example-unsatisfiable");
    long start = System.nanoTime();
    ExampleManifests.apply(client, ns, "unsatisfiable", "claim-template.yaml", "pod.yaml");
    PodCondition scheduled =
        await("the scheduler's verdict on gpu-200gi")
            .atMost(TIMEOUT)
            .pollInterval(Duration.ofMillis(250))
            .until(
                () -> TestPods.podScheduled(client, ns, "gpu-200gi"),
                c -> c.isPresent() && "Unschedulable".equals(c.get().getReason()))
            .orElseThrow();
    assertThat(scheduled.getStatus()).isEqualTo("False");
    assertThat(scheduled.getReason()).isEqualTo("Unschedulable");
    assertThat(scheduled.getMessage())
        .contains("0/2 nodes are available")
        .contains("cannot allocate all claims");
    System.out.printf(
        "[e2e] unsatisfiable: PodScheduled=False after %.1f s: %s%n",
        secs(start), scheduled.getMessage());

    Pod pod = client.pods().inNamespace(ns).withName("gpu-200gi").get();
    assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(pod.getSpec().getNodeName()).isNull();
    assertThat(PodClaims.of(client, pod))
        .singleElement()
        .satisfies(c -> assertThat(PodClaims.results(c)).isEmpty());
  }

  private String namespace(String name) {
    return scenario.createNamespace(name);
  }

  private Pod awaitRunning(String ns, String name) {
    Pod pod = TestPods.awaitRunning(client, ns, name, TIMEOUT, scenario.nodes());
    assertNoAgentProblems();
    return pod;
  }

  private void assertNoAgentProblems() {
    for (FakeGpuNode node : scenario.nodes()) {
      assertThat(node.agent().problems()).as("problems of %s", node.name()).isEmpty();
    }
  }

  private List<DeviceRequestAllocationResult> allocated(Pod pod) {
    return PodClaims.of(client, pod).stream().flatMap(c -> PodClaims.results(c).stream()).toList();
  }

  private DeviceRequestAllocationResult onlyResult(Pod pod) {
    List<DeviceRequestAllocationResult> results = allocated(pod);
    assertThat(results).hasSize(1);
    DeviceRequestAllocationResult result = results.getFirst();
    assertThat(result.getDriver()).isEqualTo(FakeGpuNode.DRIVER);
    assertThat(result.getPool()).isEqualTo(pod.getSpec().getNodeName());
    return result;
  }

  /** Device names the node agent got back from the plugin for {@code claimUid} of {@code pod}. */
  private static List<String> preparedDevices(FakeGpuNode node, Pod pod, String claimUid) {
    return node
        .agent()
        .prepared(pod.getMetadata().getUid())
        .orElseThrow()
        .outcomes()
        .get(claimUid)
        .devices()
        .stream()
        .map(d -> d.deviceName())
        .toList();
  }

  private static FakeGpuNode node(String name) {
    return scenario.node(name);
  }

  private Stream<Device> devices(String nodeName) {
    return client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
        .filter(s -> nodeName.equals(s.getSpec().getNodeName()))
        .map(ResourceSlice::getSpec)
        .filter(s -> s.getDevices() != null)
        .flatMap(s -> s.getDevices().stream());
  }

  /** The node's devices of type gpu (whole GPUs), by name. */
  private List<String> wholeGpus(String nodeName) {
    return devices(nodeName)
        .filter(d -> "gpu".equals(attribute(nodeName, d.getName(), "type").orElse(null)))
        .map(Device::getName)
        .toList();
  }

  private Optional<String> attribute(String nodeName, String device, String name) {
    return devices(nodeName)
        .filter(d -> d.getName().equals(device))
        .map(d -> d.getAttributes().get(name))
        .filter(Objects::nonNull)
        .map(a -> a.getString())
        .findFirst();
  }

  private void deletePod(String ns, String name) {
    TestPods.deleteAndAwaitGone(client, ns, name, TIMEOUT);
  }

  /** Deletes every pod of {@code ns} and waits until the node agents have unprepared them. */
  private void deletePods(String ns) {
    client.pods().inNamespace(ns).delete();
    await("deletion of the pods of " + ns)
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> client.pods().inNamespace(ns).list().getItems().isEmpty());
  }

  private static double secs(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }
}
