package dev.gpudra.e2e.nodes;

import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.examples.PodClaims;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodResourceClaim;
import io.fabric8.kubernetes.api.model.PodResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pods that scenarios create in code (the examples' own pods come from {@code examples/}): one
 * container using one pod-level claim, optionally kept to one node by a node selector, so that the
 * scheduler still places them and allocates their claims.
 */
public final class TestPods {

  private static final String IMAGE = "registry.k8s.io/pause:3.10";

  private TestPods() {}

  /** A pod whose claim {@code podClaim} is the existing ResourceClaim {@code claimName}. */
  public static Pod usingClaim(
      String name, String podClaim, String claimName, Optional<String> node) {
    return pod(
        name,
        node,
        new PodResourceClaimBuilder().withName(podClaim).withResourceClaimName(claimName).build());
  }

  /** A pod whose claim {@code podClaim} is made from ResourceClaimTemplate {@code template}. */
  public static Pod fromTemplate(
      String name, String podClaim, String template, Optional<String> node) {
    return pod(
        name,
        node,
        new PodResourceClaimBuilder()
            .withName(podClaim)
            .withResourceClaimTemplateName(template)
            .build());
  }

  /**
   * Waits until pod {@code namespace/name} is Running, or until one of {@code nodes}' agents has
   * reported a problem (then the pod is returned as it is, for the caller's assertions to say what
   * went wrong).
   */
  public static Pod awaitRunning(
      KubernetesClient client,
      String namespace,
      String name,
      Duration timeout,
      List<FakeGpuNode> nodes) {
    return await("pod " + namespace + "/" + name + " Running")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> client.pods().inNamespace(namespace).withName(name).get(),
            p ->
                (p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
                    || nodes.stream().anyMatch(n -> !n.agent().problems().isEmpty()));
  }

  /** Deletes pod {@code namespace/name} and waits until it is gone (its claims unprepared). */
  public static void deleteAndAwaitGone(
      KubernetesClient client, String namespace, String name, Duration timeout) {
    client.pods().inNamespace(namespace).withName(name).delete();
    await("deletion of pod " + namespace + "/" + name)
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> client.pods().inNamespace(namespace).withName(name).get() == null);
  }

  /** The pod's only claim, as the kubelet finds it; fails unless it has exactly one. */
  public static ResourceClaim onlyClaim(KubernetesClient client, Pod pod) {
    List<ResourceClaim> claims = PodClaims.of(client, pod);
    if (claims.size() != 1) {
      throw new AssertionError(
          "pod " + pod.getMetadata().getName() + " has " + claims.size() + " claims, not one");
    }
    return claims.getFirst();
  }

  /** The pod's {@code PodScheduled} condition; empty while the pod or the condition is missing. */
  public static Optional<PodCondition> podScheduled(
      KubernetesClient client, String namespace, String name) {
    Pod pod = client.pods().inNamespace(namespace).withName(name).get();
    if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> "PodScheduled".equals(c.getType()))
        .findFirst();
  }

  /**
   * Waits until the scheduler has given up on pod {@code namespace/name} for now ({@code
   * PodScheduled=False}) and returns that condition; fails unless its reason is {@code
   * Unschedulable}.
   */
  public static PodCondition awaitUnschedulable(
      KubernetesClient client, String namespace, String name, Duration timeout) {
    PodCondition condition =
        await("PodScheduled=False on " + name)
            .atMost(timeout)
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> podScheduled(client, namespace, name),
                c -> c.isPresent() && "False".equals(c.get().getStatus()))
            .orElseThrow();
    if (!"Unschedulable".equals(condition.getReason())) {
      throw new AssertionError("pod " + name + " not scheduled for another reason: " + condition);
    }
    return condition;
  }

  private static Pod pod(String name, Optional<String> node, PodResourceClaim claim) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withNodeSelector(node.map(n -> Map.of("kubernetes.io/hostname", n)).orElse(null))
        .withResourceClaims(claim)
        .addNewContainer()
        .withName("main")
        .withImage(IMAGE)
        .withNewResources()
        .addNewClaim()
        .withName(claim.getName())
        .endClaim()
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }
}
