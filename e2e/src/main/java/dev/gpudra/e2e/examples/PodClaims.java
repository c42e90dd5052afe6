package dev.gpudra.e2e.examples;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodResourceClaim;
import io.fabric8.kubernetes.api.model.PodResourceClaimStatus;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The ResourceClaims a pod uses, as the kubelet finds them, and what they were allocated. */
public final class PodClaims {

  private PodClaims() {}

  /**
   * The names of the pod's claims, as the kubelet finds them: named ones ({@code
   * resourceClaimName}), those made from templates ({@code status.resourceClaimStatuses}; empty
   * while the claim is not created yet) and the one the scheduler made for the pod's extended
   * resources ({@code status.extendedResourceClaimStatus}).
   */
  public static List<Optional<String>> names(Pod pod) {
    List<Optional<String>> names = new ArrayList<>();
    List<PodResourceClaim> podClaims =
        pod.getSpec().getResourceClaims() == null ? List.of() : pod.getSpec().getResourceClaims();
    List<PodResourceClaimStatus> statuses =
        pod.getStatus() == null || pod.getStatus().getResourceClaimStatuses() == null
            ? List.of()
            : pod.getStatus().getResourceClaimStatuses();
    for (PodResourceClaim podClaim : podClaims) {
      if (podClaim.getResourceClaimName() != null) {
        names.add(Optional.of(podClaim.getResourceClaimName()));
      } else {
        names.add(
            statuses.stream()
                .filter(s -> podClaim.getName().equals(s.getName()))
                .map(PodResourceClaimStatus::getResourceClaimName)
                .filter(Objects::nonNull)
                .findFirst());
      }
    }
    if (pod.getStatus() != null && pod.getStatus().getExtendedResourceClaimStatus() != null) {
      names.add(
          Optional.ofNullable(
              pod.getStatus().getExtendedResourceClaimStatus().getResourceClaimName()));
    }
    return names;
  }

  /** The pod's claims that exist ({@link #names}). */
  public static List<ResourceClaim> of(KubernetesClient client, Pod pod) {
    return names(pod).stream()
        .flatMap(Optional::stream)
        .map(
            name ->
                client
                    .dynamicResourceAllocation()
                    .v1()
                    .resourceClaims()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(name)
                    .get())
        .filter(Objects::nonNull)
        .toList();
  }

  /** The claim's allocation results; empty while it is not allocated. */
  public static List<DeviceRequestAllocationResult> results(ResourceClaim claim) {
    if (claim.getStatus() == null || claim.getStatus().getAllocation() == null) {
      return List.of();
    }
    return claim.getStatus().getAllocation().getDevices().getResults();
  }
}
