package dev.gpudra.plugin.metrics;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.Map;
import java.util.Objects;

/**
 * The workload a claim serves, as the per-workload sharing metrics name it: the namespace and the
 * owner of the pod using the claim. A Deployment's pod is owned by a ReplicaSet that the Deployment
 * controller names {@code <deployment>-<pod-template-hash>}, so that owner is reported as the
 * Deployment, the unit a team scales and asks about; other controllers (StatefulSet, Job,
 * DaemonSet) are reported as they are, and a pod without a controller as itself. The label set
 * stays bounded by the pods a node runs.
 *
 * @param namespace the claim's namespace
 * @param kind the owner's kind ({@code Deployment}, {@code StatefulSet}, {@code Pod}...), or {@code
 *     ResourceClaim} for a claim no pod uses
 * @param name the owner's name
 */
public record Workload(String namespace, String kind, String name) {

  /** The label the Deployment controller puts on its pods and appends to its ReplicaSets' names. */
  static final String POD_TEMPLATE_HASH = "pod-template-hash";

  /** Requires every part. */
  public Workload {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
  }

  /** The workload of the pod with metadata {@code pod}, from its controller owner and labels. */
  public static Workload of(ObjectMeta pod) {
    String namespace = pod.getNamespace();
    OwnerReference controller =
        pod.getOwnerReferences() == null
            ? null
            : pod.getOwnerReferences().stream()
                .filter(o -> Boolean.TRUE.equals(o.getController()))
                .findFirst()
                .orElse(null);
    if (controller == null) {
      return new Workload(namespace, "Pod", pod.getName());
    }
    Map<String, String> labels = pod.getLabels();
    String hash = labels == null ? null : labels.get(POD_TEMPLATE_HASH);
    if ("ReplicaSet".equals(controller.getKind())
        && hash != null
        && !hash.isEmpty()
        && controller.getName().endsWith("-" + hash)) {
      String deployment =
          controller.getName().substring(0, controller.getName().length() - hash.length() - 1);
      return new Workload(namespace, "Deployment", deployment);
    }
    return new Workload(namespace, controller.getKind(), controller.getName());
  }

  /** A claim no pod uses (yet): the claim itself. */
  public static Workload unused(String namespace, String claimName) {
    return new Workload(namespace, "ResourceClaim", claimName);
  }
}
