package dev.gpudra.controller.explain;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.explain.Explanation;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.Optional;

/**
 * Explains claims from the controller's current view of the cluster. Thread-safe: the explainer is
 * pure and the selector cache is shared safely.
 */
public final class ClaimExplanations {

  private final ClusterView view;
  private final PendingClaimExplainer explainer;

  public ClaimExplanations(ClusterView view, AllocationBudget budget) {
    this.view = view;
    this.explainer =
        new PendingClaimExplainer(new SelectorCache(SelectorEnvironment.create(), 1024), budget);
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

  /** The view's current state, for explaining many claims with one allocator. */
  public PendingClaimExplainer.Snapshot snapshot() {
    return explainer.snapshot(view.nodes(), view.slices(), view.deviceClasses(), view.claims());
  }
}
