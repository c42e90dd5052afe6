package dev.gpudra.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodResourceClaim;
import io.fabric8.kubernetes.api.model.PodResourceClaimStatus;
import java.util.List;

/**
 * A pod's claim references and the ResourceClaims they name: {@code resourceClaimName} directly, or
 * for a template the claim the control plane generated, recorded in {@code
 * status.resourceClaimStatuses}.
 */
final class PodClaims {
  private PodClaims() {}

  static List<PodResourceClaim> references(Pod pod) {
    return pod.getSpec() == null || pod.getSpec().getResourceClaims() == null
        ? List.of()
        : pod.getSpec().getResourceClaims();
  }

  /** The ResourceClaim's name, or null while a template's claim is not generated yet. */
  static String claimName(Pod pod, PodResourceClaim ref) {
    if (ref.getResourceClaimName() != null) {
      return ref.getResourceClaimName();
    }
    if (pod.getStatus() == null || pod.getStatus().getResourceClaimStatuses() == null) {
      return null;
    }
    for (PodResourceClaimStatus s : pod.getStatus().getResourceClaimStatuses()) {
      if (ref.getName().equals(s.getName())) {
        return s.getResourceClaimName();
      }
    }
    return null;
  }
}
