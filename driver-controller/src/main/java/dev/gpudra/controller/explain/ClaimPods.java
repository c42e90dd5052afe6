package dev.gpudra.controller.explain;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.List;

/**
 * The pods that need a claim, as the view knows them: the pod that owns it (claims made from a
 * template) and every pod of its namespace that names it. They are who waits when the claim does,
 * so they get the claim's pending Events too. Thread-safe, as the view is.
 */
final class ClaimPods {

  private final ClusterView view;

  ClaimPods(ClusterView view) {
    this.view = view;
  }

  /** The pods needing {@code claim}, owner first, each once. */
  List<SlimPod> of(ResourceClaim claim) {
    String namespace = claim.getMetadata().getNamespace();
    String name = claim.getMetadata().getName();
    List<SlimPod> pods = new ArrayList<>();
    for (OwnerReference owner : claim.getMetadata().getOwnerReferences()) {
      if ("Pod".equals(owner.getKind())) {
        view.pod(namespace, owner.getName()).ifPresent(pods::add);
      }
    }
    for (SlimPod pod : view.pods(namespace)) {
      if (pod.uses(name) && !pods.contains(pod)) {
        pods.add(pod);
      }
    }
    return pods;
  }
}
