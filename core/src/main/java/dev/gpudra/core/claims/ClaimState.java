package dev.gpudra.core.claims;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;

/** Where a ResourceClaim is in its life, as SREs read it on the dashboard. */
public enum ClaimState {
  /** Not allocated yet. */
  PENDING("pending"),
  /** Allocated, but no pod uses it (yet or any more). */
  ALLOCATED("allocated"),
  /** Allocated and reserved for at least one pod: in use. */
  RESERVED("reserved");

  private final String label;

  ClaimState(String label) {
    this.label = label;
  }

  /** The value of the {@code state} metric label. */
  public String label() {
    return label;
  }

  /** The state of a claim from its status. */
  public static ClaimState of(ResourceClaim claim) {
    var status = claim.getStatus();
    if (status == null || status.getAllocation() == null) {
      return PENDING;
    }
    return status.getReservedFor() == null || status.getReservedFor().isEmpty()
        ? ALLOCATED
        : RESERVED;
  }
}
