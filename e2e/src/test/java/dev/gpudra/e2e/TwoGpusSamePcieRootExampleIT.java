package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.core.slice.DeviceAttributes;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/two-gpus-same-pcie-root/} applied unchanged to a cluster with two fake nodes
 * whose plugins publish {@code resource.kubernetes.io/pcieRoot} from each node's sysfs: an 8x A100
 * node (two GPUs per root complex; full GPUs 3-7 free, so 4+5 and 6+7 qualify) and an 8x H100 node
 * (six full GPUs, each under a root complex of its own, so no pair qualifies although it has more
 * free GPUs). The {@code matchAttribute} constraint has to lead the scheduler to a pair on one root
 * of the A100 node; the same template stays unallocated on the H100 node, where two GPUs without
 * the constraint are allocated at once.
 */
class TwoGpusSamePcieRootExampleIT {

  private static final String NAMESPACE = "example-two-gpus-same-pcie-root";
  private static final String EXAMPLE = "two-gpus-same-pcie-root";
  private static final String POD = "two-gpus-same-pcie-root";
  private static final String TEMPLATE = "two-gpus-same-pcie-root";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern FULL_GPU = Pattern.compile("gpu-(\\d+)");

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.inNamespace(NAMESPACE)
          .withNode("pcie-a100-8x", "a100-8x")
          .withNode("pcie-h100-8x", "h100-8x");

  private final KubernetesClient client = scenario.client();
  private final FakeGpuNode a100 = scenario.node("pcie-a100-8x");
  private final FakeGpuNode h100 = scenario.node("pcie-h100-8x");

  @Test
  void podGetsTwoGpusUnderOnePcieRootOfTheA100NodeNeverTheH100Node() throws IOException {
    // Both nodes have at least two free whole GPUs; only the A100 node has two under one root.
    Map<String, String> h100Roots = fullGpuRoots(h100);
    Map<String, String> a100Roots = fullGpuRoots(a100);
    assertThat(h100Roots).hasSizeGreaterThanOrEqualTo(2);
    assertThat(h100Roots.values()).doesNotContainNull().doesNotHaveDuplicates();
    assertThat(a100Roots.values()).doesNotContainNull();
    assertThat(a100Roots.values().stream().distinct().count()).isLessThan(a100Roots.size());
    System.out.printf(
        "[e2e] PCIe roots of the full GPUs: %s %s, %s %s%n",
        a100.name(), a100Roots, h100.name(), h100Roots);

    long start = System.nanoTime();
    ExampleManifests.apply(client, NAMESPACE, EXAMPLE, "claim-template.yaml", "pod.yaml");
    Pod pod = awaitRunning(POD);
    System.out.printf("[e2e] two-gpus-same-pcie-root pod Running after %.1f s%n", seconds(start));

    assertThat(a100.agent().problems()).isEmpty();
    assertThat(h100.agent().problems()).isEmpty();
    assertThat(pod.getSpec().getNodeName()).isEqualTo(a100.name());
    ResourceClaim claim = podClaim(pod);
    List<DeviceRequestAllocationResult> results =
        claim.getStatus().getAllocation().getDevices().getResults();
    assertThat(results).hasSize(2);
    assertThat(results)
        .extracting(DeviceRequestAllocationResult::getPool)
        .containsOnly(a100.name());
    List<String> devices = results.stream().map(DeviceRequestAllocationResult::getDevice).toList();
    assertThat(devices).doesNotHaveDuplicates().allMatch(d -> FULL_GPU.matcher(d).matches());
    String root = a100Roots.get(devices.get(0));
    assertThat(root).isNotNull().isEqualTo(a100Roots.get(devices.get(1)));
    String claimUid = claim.getMetadata().getUid();
    List<String> deviceNodes = a100.cdiDeviceNodePaths(claimUid);
    for (String device : devices) {
      Matcher minor = FULL_GPU.matcher(device);
      assertThat(minor.matches()).isTrue();
      assertThat(deviceNodes).contains("/dev/nvidia" + minor.group(1));
    }
    System.out.printf(
        "[e2e] claim %s got %s on %s, both under %s; CDI spec %s%n",
        claim.getMetadata().getName(), devices, a100.name(), root, a100.cdiSpec(claimUid));

    long deleting = System.nanoTime();
    deletePodAndAwaitGone(POD);
    System.out.printf(
        "[e2e] two-gpus-same-pcie-root pod unprepared and gone after %.1f s%n", seconds(deleting));
    assertThat(a100.cdiSpec(claimUid)).doesNotExist();
    assertThat(a100.agent().problems()).isEmpty();
  }

  @Test
  void theConstraintKeepsTheClaimUnallocatedOnANodeWithARootPerGpu() throws IOException {
    ResourceClaimTemplate example = exampleTemplate();
    // The example's template, unless the other scenario left it; removed again below so that
    // the other scenario can apply the example as a user would.
    boolean createdExample = template(TEMPLATE) == null;
    if (createdExample) {
      client.resource(example).inNamespace(NAMESPACE).create();
    }
    // The same request without the constraint, as the control: the node has the GPUs for it.
    ResourceClaimTemplate anyRoot =
        new ResourceClaimTemplateBuilder(example)
            .editMetadata()
            .withName("two-gpus-any-root")
            .endMetadata()
            .editSpec()
            .editSpec()
            .editDevices()
            .withConstraints(List.of())
            .endDevices()
            .endSpec()
            .endSpec()
            .build();
    client.resource(anyRoot).inNamespace(NAMESPACE).create();

    client.resource(podOnH100("same-root-on-h100", TEMPLATE)).inNamespace(NAMESPACE).create();
    PodCondition waiting = awaitClaimsUnallocatable("same-root-on-h100");
    assertThat(podClaim(pod("same-root-on-h100")).getStatus().getAllocation()).isNull();
    System.out.println(
        "[e2e] same-root claim on " + h100.name() + " waits: " + waiting.getMessage());

    client
        .resource(podOnH100("any-root-on-h100", "two-gpus-any-root"))
        .inNamespace(NAMESPACE)
        .create();
    Pod control = awaitRunning("any-root-on-h100");
    List<String> devices =
        podClaim(control).getStatus().getAllocation().getDevices().getResults().stream()
            .map(DeviceRequestAllocationResult::getDevice)
            .toList();
    Map<String, String> roots = fullGpuRoots(h100);
    assertThat(devices).hasSize(2);
    assertThat(roots.get(devices.get(0))).isNotNull().isNotEqualTo(roots.get(devices.get(1)));
    assertThat(pod("same-root-on-h100").getSpec().getNodeName()).isNull();
    System.out.printf(
        "[e2e] without the constraint %s got %s on %s%n",
        control.getMetadata().getName(), devices, h100.name());

    deletePodAndAwaitGone("any-root-on-h100");
    deletePodAndAwaitGone("same-root-on-h100");
    assertThat(h100.agent().problems()).isEmpty();
    client.resource(anyRoot).inNamespace(NAMESPACE).delete();
    if (createdExample) {
      client.resource(example).inNamespace(NAMESPACE).delete();
      await("deletion of template " + TEMPLATE)
          .atMost(TIMEOUT)
          .until(() -> template(TEMPLATE) == null);
    }
  }

  private ResourceClaimTemplate template(String name) {
    return client
        .dynamicResourceAllocation()
        .v1()
        .resourceClaimTemplates()
        .inNamespace(NAMESPACE)
        .withName(name)
        .get();
  }

  /** The example's template as a user's file holds it. */
  private ResourceClaimTemplate exampleTemplate() throws IOException {
    try (InputStream in =
        Files.newInputStream(ExampleManifests.file(EXAMPLE, "claim-template.yaml"))) {
      ResourceClaimTemplate template = (ResourceClaimTemplate) client.load(in).items().getFirst();
      assertThat(template.getSpec().getSpec().getDevices().getConstraints())
          .singleElement()
          .satisfies(c -> assertThat(c.getMatchAttribute()).isEqualTo(DeviceAttributes.PCIE_ROOT));
      return template;
    }
  }

  /** A pod with a claim from {@code template}, pinned to the H100 node. */
  private Pod podOnH100(String name, String template) {
    return TestPods.fromTemplate(name, "gpus", template, Optional.of(h100.name()));
  }

  /** Each published full GPU of {@code node} and its {@code pcieRoot} (null when it has none). */
  private static Map<String, String> fullGpuRoots(FakeGpuNode node) {
    Map<String, String> roots = new TreeMap<>();
    for (Device device : node.publishedDevices()) {
      if (FULL_GPU.matcher(device.getName()).matches()) {
        DeviceAttribute root = device.getAttributes().get(DeviceAttributes.PCIE_ROOT);
        roots.put(device.getName(), root == null ? null : root.getString());
      }
    }
    return roots;
  }

  private Pod pod(String name) {
    return client.pods().inNamespace(NAMESPACE).withName(name).get();
  }

  private Pod awaitRunning(String name) {
    return TestPods.awaitRunning(client, NAMESPACE, name, TIMEOUT, scenario.nodes());
  }

  /**
   * Waits until the scheduler has tried the pod's claim against the nodes' devices and found none
   * that satisfy it (not merely that the claim does not exist yet).
   */
  private PodCondition awaitClaimsUnallocatable(String name) {
    PodCondition condition =
        await("PodScheduled=False (cannot allocate all claims) on " + name)
            .atMost(TIMEOUT)
            .pollInterval(Duration.ofMillis(250))
            .until(
                () -> TestPods.podScheduled(client, NAMESPACE, name),
                c ->
                    c.isPresent()
                        && "False".equals(c.get().getStatus())
                        && c.get().getMessage() != null
                        && c.get().getMessage().contains("cannot allocate all claims"))
            .orElseThrow();
    assertThat(condition.getReason()).isEqualTo("Unschedulable");
    return condition;
  }

  private void deletePodAndAwaitGone(String name) {
    TestPods.deleteAndAwaitGone(client, NAMESPACE, name, TIMEOUT);
  }

  private ResourceClaim podClaim(Pod pod) {
    return TestPods.onlyClaim(client, pod);
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }
}
