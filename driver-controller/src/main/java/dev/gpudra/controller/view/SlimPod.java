package dev.gpudra.controller.view;

import dev.gpudra.core.claims.WorkloadKind;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodResourceClaim;
import io.fabric8.kubernetes.api.model.PodResourceClaimStatus;
import io.fabric8.kubernetes.api.model.PodResourceClaimStatusBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the controller keeps of a Pod: its identity, node and phase, the labels that say its
 * workload kind ({@link WorkloadKind#POD_LABELS}), and its claim references. Containers, env,
 * volumes, annotations, other labels, managed fields and the rest of the status are dropped, so a
 * pod's footprint in the view depends only on its number of claims, never on the size of its spec.
 *
 * @param namespace its namespace
 * @param name its name
 * @param uid its UID
 * @param resourceVersion the version it was read at (the informer compares versions)
 * @param nodeName the node it is bound to; null while unscheduled
 * @param phase its status phase; null when the status has none yet
 * @param labels its labels among {@link WorkloadKind#POD_LABELS}
 * @param claims its {@code spec.resourceClaims}, in order
 */
public record SlimPod(
    String namespace,
    String name,
    String uid,
    String resourceVersion,
    String nodeName,
    String phase,
    Map<String, String> labels,
    List<ClaimReference> claims) {

  /**
   * One entry of {@code spec.resourceClaims}.
   *
   * @param name the entry's name, which containers refer to
   * @param claimName the ResourceClaim it stands for: {@code resourceClaimName}, or for a template
   *     the claim generated for this pod ({@code status.resourceClaimStatuses}); null while that
   *     claim is not created yet
   * @param templateName the ResourceClaimTemplate it is made from; null for a named claim
   */
  public record ClaimReference(String name, String claimName, String templateName) {
    public ClaimReference {
      Objects.requireNonNull(name, "name");
    }
  }

  /** Validates and copies. */
  public SlimPod {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    labels = Map.copyOf(labels);
    claims = List.copyOf(claims);
  }

  /**
   * The slim form of {@code pod}. Low-cardinality strings (namespace, node, phase) are interned, so
   * that thousands of pods share one copy of each.
   */
  public static SlimPod of(Pod pod) {
    ObjectMeta meta = pod.getMetadata();
    Map<String, String> labels = new HashMap<>();
    if (meta.getLabels() != null) {
      for (String key : WorkloadKind.POD_LABELS) {
        String value = meta.getLabels().get(key);
        if (value != null) {
          labels.put(key, value);
        }
      }
    }
    Map<String, String> generated = new HashMap<>();
    if (pod.getStatus() != null && pod.getStatus().getResourceClaimStatuses() != null) {
      for (PodResourceClaimStatus status : pod.getStatus().getResourceClaimStatuses()) {
        if (status.getName() != null && status.getResourceClaimName() != null) {
          generated.put(status.getName(), status.getResourceClaimName());
        }
      }
    }
    List<ClaimReference> claims = new ArrayList<>();
    if (pod.getSpec() != null && pod.getSpec().getResourceClaims() != null) {
      for (PodResourceClaim claim : pod.getSpec().getResourceClaims()) {
        String claimName =
            claim.getResourceClaimName() != null
                ? claim.getResourceClaimName()
                : generated.get(claim.getName());
        claims.add(
            new ClaimReference(claim.getName(), claimName, claim.getResourceClaimTemplateName()));
      }
    }
    return new SlimPod(
        intern(meta.getNamespace()),
        meta.getName(),
        meta.getUid(),
        meta.getResourceVersion(),
        pod.getSpec() == null ? null : intern(pod.getSpec().getNodeName()),
        pod.getStatus() == null ? null : intern(pod.getStatus().getPhase()),
        labels,
        claims);
  }

  /** Whether one of its claim references names ResourceClaim {@code claimName}. */
  public boolean uses(String claimName) {
    return claims.stream().anyMatch(c -> claimName.equals(c.claimName()));
  }

  /**
   * A Pod holding exactly what this record keeps, for the informer's own use of its store (update
   * notifications compare resource versions).
   */
  public Pod toPod() {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .withUid(uid)
            .withResourceVersion(resourceVersion)
            .withLabels(labels)
            .endMetadata();
    var spec = pod.withNewSpec().withNodeName(nodeName);
    var status = new ArrayList<PodResourceClaimStatus>();
    for (ClaimReference claim : claims) {
      spec.addNewResourceClaim()
          .withName(claim.name())
          .withResourceClaimName(claim.templateName() == null ? claim.claimName() : null)
          .withResourceClaimTemplateName(claim.templateName())
          .endResourceClaim();
      if (claim.templateName() != null && claim.claimName() != null) {
        status.add(
            new PodResourceClaimStatusBuilder()
                .withName(claim.name())
                .withResourceClaimName(claim.claimName())
                .build());
      }
    }
    return spec.endSpec()
        .withNewStatus()
        .withPhase(phase)
        .withResourceClaimStatuses(status)
        .endStatus()
        .build();
  }

  private static String intern(String value) {
    return value == null ? null : value.intern();
  }
}
