package dev.gpudra.controller.explain;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.explain.DeviceViewCache;
import dev.gpudra.core.explain.Explanation;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.Optional;

/**
 * Explains claims from the controller's current view of the cluster, for both the pending-claim
 * Events and {@code /explain}.
 *
 * <p>Building the allocator over the whole cluster is the expensive part, so it is built once per
 * {@linkplain ClusterView#revision() view revision} and shared by every caller until the view
 * changes; per-spec verdicts the snapshot caches are shared with it. The devices' selector views
 * outlive revisions: each slice's are built once per resourceVersion.
 *
 * <p>Thread-safe: snapshots are built under this object's lock (so two callers never build the same
 * revision twice) and explain under their own.
 */
public final class ClaimExplanations {

  private final ClusterView view;
  private final PendingClaimExplainer explainer;

  /** The snapshot of the latest revision asked for; null before the first. Guarded by this. */
  private ExplainSnapshot latest;

  public ClaimExplanations(ClusterView view, AllocationBudget budget) {
    this.view = view;
    // One set of device views for the controller's life: a new revision rebuilds only the slices
    // that changed (most revisions are claims and pods), and forgets deleted ones.
    this.explainer =
        new PendingClaimExplainer(
            new SelectorCache(SelectorEnvironment.create(), 1024),
            budget,
            new DeviceViewCache(DeviceViewCache.DEFAULT_MAX_SLICES));
  }

  /** The explanation for one claim, or empty when the view has no such claim. */
  public Optional<Explanation> explain(String namespace, String name) {
    return view.claims().stream()
        .filter(c -> namespace.equals(c.getMetadata().getNamespace()))
        .filter(c -> name.equals(c.getMetadata().getName()))
        .findFirst()
        .map(this::explain);
  }

  /** The explanation for a claim the caller already holds. */
  public Explanation explain(ResourceClaim claim) {
    return snapshot().explain(claim);
  }

  /**
   * The view's current state, for explaining many claims with one allocator: the same object for
   * every caller while the view's revision stays the same.
   */
  public synchronized ExplainSnapshot snapshot() {
    // Read the revision before the objects: a change that lands in between makes the next call
    // rebuild, never keeps a snapshot older than the revision it is filed under.
    long revision = view.revision();
    if (latest == null || latest.revision() != revision) {
      latest =
          new ExplainSnapshot(
              revision,
              explainer.snapshot(view.nodes(), view.slices(), view.deviceClasses(), view.claims()));
    }
    return latest;
  }
}
