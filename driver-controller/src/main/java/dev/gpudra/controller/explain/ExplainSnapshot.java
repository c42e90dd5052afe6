package dev.gpudra.controller.explain;

import dev.gpudra.core.explain.Explanation;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;

/**
 * The allocator over one revision of the view, shared by the pending-claim Events and {@code
 * /explain}.
 *
 * <p>Thread-safe: the core snapshot it wraps is not (it caches verdicts per claim spec), so each
 * explanation runs under this object's lock; one explanation is short next to building the
 * snapshot.
 */
public final class ExplainSnapshot {

  private final long revision;
  private final PendingClaimExplainer.Snapshot snapshot;

  ExplainSnapshot(long revision, PendingClaimExplainer.Snapshot snapshot) {
    this.revision = revision;
    this.snapshot = snapshot;
  }

  /** The view revision this snapshot was built from. */
  public long revision() {
    return revision;
  }

  /** Explains one claim against this state. */
  public synchronized Explanation explain(ResourceClaim claim) {
    return snapshot.explain(claim);
  }
}
