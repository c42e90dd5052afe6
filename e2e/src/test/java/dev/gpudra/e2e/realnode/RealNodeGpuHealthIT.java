package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.slice.DeviceNames;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.RealNodeScenario;
import dev.gpudra.e2e.nodes.TestClaims;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.testkit.nvml.MockNvmlFaults;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceHealth;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GPU health as the real kubelet shows it: our chart on a real fake-GPU node (8x A100), a pod using
 * one whole GPU, and a fatal XID raised in the mock NVML inside the plugin's container (through the
 * fault log next to its state file on the node's {@code fakeGpu.stateDir}). The kubelet reads our
 * DRA health v1 stream and reports the GPU Unhealthy in the pod's {@code
 * status.containerStatuses[].allocatedResourcesStatus}.
 */
class RealNodeGpuHealthIT {

  private static final String NAMESPACE = "real-node-health";
  private static final String NODE = "health-real-a100";
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final int FATAL_XID = 79;

  @RegisterExtension
  static final RealNodeScenario scenario = RealNodeScenario.withNode(NODE, "a100-8x").withDriver();

  /**
   * The namespace goes while the node still runs, its pod stopped by the real kubelet: the control
   * plane is shared with later scenarios, whose alerts would count a claim left pending here.
   */
  @AfterEach
  void deleteTheNamespace(KubernetesClient client) {
    Namespaces.deleteAndAwaitGone(client, NAMESPACE, TIMEOUT);
  }

  @Test
  void aPodsGpuWithAFatalXidIsUnhealthyInItsAllocatedResourcesStatus(
      KubernetesClient client, RealNodes nodes) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    client
        .resource(TestClaims.exactly("gpu", "gpu", "gpu.gpudra.dev", Optional.empty(), 1))
        .inNamespace(NAMESPACE)
        .create();
    client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(TestPods.usingClaim("uses-gpu", "gpu", "gpu", Optional.of(NODE)))
        .create();
    Pod running =
        Poll.until(
            "pod uses-gpu Running",
            TIMEOUT,
            Duration.ofMillis(500),
            () -> client.pods().inNamespace(NAMESPACE).withName("uses-gpu").get(),
            p -> p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
    ResourceClaim claim = TestPods.onlyClaim(client, running);
    DeviceRequestAllocationResult result = PodClaims.results(claim).getFirst();
    int gpu =
        DeviceNames.parse(result.getDevice())
            .orElseThrow(() -> new AssertionError("not a gpudra device: " + result.getDevice()))
            .minor();
    System.out.printf("[e2e] pod uses-gpu runs on %s of %s%n", result.getDevice(), NODE);

    long injected = System.nanoTime();
    MockNvmlFaults.forState(nodes.node(NODE).mockNvmlStateFile()).xid(gpu, FATAL_XID);

    List<ResourceHealth> unhealthy =
        Poll.until(
            "allocatedResourcesStatus of uses-gpu says Unhealthy",
            TIMEOUT,
            Duration.ofMillis(250),
            () -> health(client.pods().inNamespace(NAMESPACE).withName("uses-gpu").get()),
            h -> h.stream().anyMatch(r -> "Unhealthy".equals(r.getHealth())));
    System.out.printf(
        "[e2e] XID %d on GPU %d to Unhealthy in the pod's status: %d ms; %s%n",
        FATAL_XID, gpu, Duration.ofNanos(System.nanoTime() - injected).toMillis(), unhealthy);
    assertThat(unhealthy)
        .filteredOn(r -> "Unhealthy".equals(r.getHealth()))
        .singleElement()
        .satisfies(
            r -> {
              // The kubelet names the device by its CDI id: claim UID and device name.
              assertThat(r.getResourceID())
                  .contains(claim.getMetadata().getUid())
                  .endsWith("-" + result.getDevice());
              assertThat(r.getMessage()).contains("XID " + FATAL_XID);
            });
  }

  /** Every resource health the pod's containers report. */
  private static List<ResourceHealth> health(Pod pod) {
    if (pod == null || pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return List.of();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .map(ContainerStatus::getAllocatedResourcesStatus)
        .filter(s -> s != null)
        .flatMap(List::stream)
        .filter(s -> s.getResources() != null)
        .flatMap(s -> s.getResources().stream())
        .toList();
  }
}
