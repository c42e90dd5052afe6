package dev.gpudra.core.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.explain.Cause;
import dev.gpudra.core.explain.Explanation;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Differential: the pending-claim explanation never disagrees with the allocator on the conformance
 * scenarios (which {@code AllocatorConformanceIT} shows the allocator decides as Kubernetes' own
 * does). Where the allocator fits the claim, the explanation says it fits; where it finds the claim
 * unsatisfiable, the explanation names at least one concrete cause; where the input is invalid, the
 * explanation carries the allocator's message.
 *
 * <p>Explanations concern one claim, so scenarios that allocate several claims together are left to
 * the conformance test.
 */
class ExplainAgreesWithAllocatorTest {
  @Test
  void explanationsAgreeWithTheAllocatorOnEveryScenario() {
    SelectorCache cache = new SelectorCache(SelectorEnvironment.create(), 512);
    AllocationBudget unbounded = AllocationBudget.steps(Long.MAX_VALUE);
    PendingClaimExplainer explainer = new PendingClaimExplainer(cache, unbounded);
    Map<String, Integer> seen = new TreeMap<>();
    List<String> disagreements = new ArrayList<>();
    for (SingleClaimScenarios.Single s : SingleClaimScenarios.all()) {
      ResourceClaim claim = s.claim();
      AllocationOutcome outcome =
          new Allocator(s.slices(), s.classes(), s.allocatedClaims(), cache)
              .allocate(s.node(), List.of(claim), unbounded);
      List<ResourceClaim> claims = new ArrayList<>(s.allocatedClaims());
      claims.add(claim);
      Explanation explanation =
          explainer.explain(claim, List.of(s.node()), s.slices(), s.classes(), claims);
      String problem =
          switch (outcome) {
            case AllocationOutcome.Allocated a ->
                explanation.fits() ? null : "fits, explained as not";
            case AllocationOutcome.Unsatisfiable u ->
                explanation.fits()
                    ? "unsatisfiable, explained as fitting"
                    : explanation.causes().stream().anyMatch(Cause::concrete)
                        ? null
                        : "unsatisfiable, no concrete cause: " + explanation.text();
            case AllocationOutcome.Invalid invalid ->
                explanation.headline().contains(invalid.message())
                    ? null
                    : "invalid, explained as: " + explanation.text();
            case AllocationOutcome.BudgetExceeded b -> null;
          };
      seen.merge(outcome.getClass().getSimpleName(), 1, Integer::sum);
      if (problem != null) {
        disagreements.add(s.id() + ": " + problem);
      }
    }
    System.out.printf(
        "explain vs allocator: %s single-claim scenarios, %d disagreements%n",
        seen, disagreements.size());
    assertThat(seen.getOrDefault("Unsatisfiable", 0)).isPositive();
    assertThat(disagreements).isEmpty();
  }
}
