package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Which claims the pre-bound allocator must allocate, and in which order: claims made from our
 * {@link ClaimTemplates} (label {@value ClaimTemplates#LABEL}), not allocated, not being deleted,
 * whose controlling pod is known, bound to a node and not finished. Oldest claim first, so that
 * pods waiting for GPUs get them first come, first served.
 *
 * <p>Pure.
 */
public final class PreboundClaims {

  private PreboundClaims() {}

  /**
   * A claim to allocate and the pod it is for.
   *
   * @param claim the claim as the view holds it
   * @param pod its controlling pod
   */
  public record Pending(ResourceClaim claim, SlimPod pod) {
    /** Validates. */
    public Pending {
      Objects.requireNonNull(claim, "claim");
      Objects.requireNonNull(pod, "pod");
    }

    /** The node the pod is bound to. */
    public String node() {
      return pod.nodeName();
    }
  }

  /** Whether {@code claim} is one the rewrite's templates made. */
  public static boolean isPrebound(ResourceClaim claim) {
    Map<String, String> labels = claim.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(ClaimTemplates.LABEL));
  }

  /** Whether {@code claim} has an allocation. */
  public static boolean allocated(ResourceClaim claim) {
    return claim.getStatus() != null && claim.getStatus().getAllocation() != null;
  }

  /**
   * The claims waiting for an allocation, oldest first.
   *
   * @param pods looks a pod up by namespace and name
   */
  public static List<Pending> pending(
      List<ResourceClaim> claims, BiFunction<String, String, Optional<SlimPod>> pods) {
    List<Pending> pending = new ArrayList<>();
    for (ResourceClaim claim : claims) {
      if (!isPrebound(claim)
          || allocated(claim)
          || claim.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      controller(claim)
          .flatMap(
              owner ->
                  pods.apply(claim.getMetadata().getNamespace(), owner.getName())
                      .filter(pod -> owner.getUid().equals(pod.uid())))
          .filter(pod -> pod.nodeName() != null && !pod.nodeName().isEmpty())
          .filter(pod -> !"Succeeded".equals(pod.phase()) && !"Failed".equals(pod.phase()))
          .ifPresent(pod -> pending.add(new Pending(claim, pod)));
    }
    pending.sort(
        Comparator.comparing(
                (Pending p) ->
                    Objects.requireNonNullElse(p.claim().getMetadata().getCreationTimestamp(), ""))
            .thenComparing(p -> p.claim().getMetadata().getNamespace())
            .thenComparing(p -> p.claim().getMetadata().getName()));
    return pending;
  }

  /** The claim's controlling Pod owner, if any. */
  static Optional<OwnerReference> controller(ResourceClaim claim) {
    if (claim.getMetadata().getOwnerReferences() == null) {
      return Optional.empty();
    }
    return claim.getMetadata().getOwnerReferences().stream()
        .filter(o -> Boolean.TRUE.equals(o.getController()))
        .filter(o -> "Pod".equals(o.getKind()) && "v1".equals(o.getApiVersion()))
        .filter(o -> o.getUid() != null && o.getName() != null)
        .findFirst();
  }
}
