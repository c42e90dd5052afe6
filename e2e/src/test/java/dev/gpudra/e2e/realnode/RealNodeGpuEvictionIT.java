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
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Eviction on a real node: our chart installed with {@code kubeletPlugin.health.taintEffect=
 * NoExecute}; a pod's claim tolerates the XID taint for {@value #TOLERATION_SECONDS} s, so the pod
 * first shows its GPU Unhealthy (the kubelet reads our health stream), then the controller
 * manager's device-taint eviction deletes it and the real kubelet stops it.
 */
class RealNodeGpuEvictionIT {

  private static final String NAMESPACE = "real-node-eviction";
  private static final String NODE = "evict-real-a100";
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final int FATAL_XID = 79;
  private static final long TOLERATION_SECONDS = 10;

  @RegisterExtension
  static final RealNodeScenario scenario =
      RealNodeScenario.withNode(NODE, "a100-8x")
          .withDriver("kubeletPlugin.health.taintEffect=NoExecute");

  /**
   * The namespace goes while the node still runs, its pod stopped by the real kubelet: the control
   * plane is shared with later scenarios, whose alerts would count a claim left pending here.
   */
  @AfterEach
  void deleteTheNamespace(KubernetesClient client) {
    Namespaces.deleteAndAwaitGone(client, NAMESPACE, TIMEOUT);
  }

  @Test
  void thePodOnAGpuWithAFatalXidShowsItUnhealthyAndIsEvicted(
      KubernetesClient client, RealNodes nodes) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    ResourceClaim tolerating =
        new ResourceClaimBuilder(
                TestClaims.exactly("gpu", "gpu", "gpu.gpudra.dev", Optional.empty(), 1))
            .editSpec()
            .editDevices()
            .editFirstRequest()
            .editExactly()
            .addNewToleration()
            .withKey("gpu.gpudra.dev/xid")
            .withOperator("Exists")
            .withEffect("NoExecute")
            .withTolerationSeconds(TOLERATION_SECONDS)
            .endToleration()
            .endExactly()
            .endRequest()
            .endDevices()
            .endSpec()
            .build();
    client.resource(tolerating).inNamespace(NAMESPACE).create();
    client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(TestPods.usingClaim("evicted", "gpu", "gpu", Optional.of(NODE)))
        .create();
    Pod running =
        Poll.until(
            "pod evicted Running",
            TIMEOUT,
            Duration.ofMillis(500),
            () -> client.pods().inNamespace(NAMESPACE).withName("evicted").get(),
            p -> p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
    String device = PodClaims.results(TestPods.onlyClaim(client, running)).getFirst().getDevice();
    int gpu =
        DeviceNames.parse(device)
            .orElseThrow(() -> new AssertionError("not a gpudra device: " + device))
            .minor();

    List<String> seen = new CopyOnWriteArrayList<>();
    Watch watch = client.pods().inNamespace(NAMESPACE).withName("evicted").watch(recorder(seen));
    try {
      long injected = System.nanoTime();
      MockNvmlFaults.forState(nodes.node(NODE).mockNvmlStateFile()).xid(gpu, FATAL_XID);
      Poll.until(
          "pod evicted gone",
          TIMEOUT,
          Duration.ofMillis(250),
          () -> client.pods().inNamespace(NAMESPACE).withName("evicted").get(),
          p -> p == null);
      System.out.printf(
          "[e2e] XID %d on %s (tolerated %d s): pod evicted and gone after %d ms; seen %s%n",
          FATAL_XID,
          device,
          TOLERATION_SECONDS,
          Duration.ofNanos(System.nanoTime() - injected).toMillis(),
          seen);
    } finally {
      watch.close();
    }
    assertThat(seen).contains("Unhealthy", "DeletionByDeviceTaintManager");
    assertThat(seen.indexOf("Unhealthy"))
        .as("Unhealthy shown before the eviction")
        .isLessThan(seen.indexOf("DeletionByDeviceTaintManager"));
  }

  /**
   * Records, in order, {@code Unhealthy} when a container reports an unhealthy resource and the
   * reason of a {@code DisruptionTarget=True} condition.
   */
  private static Watcher<Pod> recorder(List<String> seen) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        if (pod.getStatus() == null) {
          return;
        }
        if (pod.getStatus().getContainerStatuses() != null
            && pod.getStatus().getContainerStatuses().stream()
                .filter(c -> c.getAllocatedResourcesStatus() != null)
                .flatMap(c -> c.getAllocatedResourcesStatus().stream())
                .filter(s -> s.getResources() != null)
                .flatMap(s -> s.getResources().stream())
                .anyMatch(r -> "Unhealthy".equals(r.getHealth()))
            && !seen.contains("Unhealthy")) {
          seen.add("Unhealthy");
        }
        if (pod.getStatus().getConditions() != null) {
          pod.getStatus().getConditions().stream()
              .filter(c -> "DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus()))
              .map(PodCondition::getReason)
              .filter(r -> !seen.contains(r))
              .forEach(seen::add);
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }
}
