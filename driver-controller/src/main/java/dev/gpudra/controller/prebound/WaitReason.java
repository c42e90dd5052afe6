package dev.gpudra.controller.prebound;

/**
 * Why a pre-bound pod's claim is not allocated yet, in a few kinds: the {@code reason} label of
 * {@code gpudra_prebound_pods_waiting}, which must stay bounded (the Event says the details).
 */
public enum WaitReason {
  /** It would fit on the empty node; enough of the node's GPUs are allocated to other claims. */
  DEVICES_IN_USE("devices_in_use"),
  /** It does not fit on the node even with every GPU free: too many GPUs, or none that matches. */
  DOES_NOT_FIT_NODE("does_not_fit_node"),
  /**
   * It fits, but an older claim on the same node waits for GPUs first (first come, first served).
   */
  BEHIND_OLDER_CLAIM("behind_older_claim"),
  /** The pod is bound to a node that does not exist. */
  NODE_MISSING("node_missing"),
  /** The claim cannot be allocated as written (an invalid selector or class). */
  INVALID_CLAIM("invalid_claim"),
  /** The allocator's search gave up within its budget. */
  SEARCH_GAVE_UP("search_gave_up"),
  /** The claim changed while it was allocated; the next pass retries. */
  WRITE_CONFLICT("write_conflict");

  private final String label;

  WaitReason(String label) {
    this.label = label;
  }

  /** The metric label value. */
  public String label() {
    return label;
  }
}
