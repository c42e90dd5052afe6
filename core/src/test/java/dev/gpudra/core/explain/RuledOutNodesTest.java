package dev.gpudra.core.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.allocator.AllocationOutcome;
import dev.gpudra.core.allocator.Allocator;
import dev.gpudra.core.allocator.SingleClaimScenarios;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Differential: a node that explaining rules out without searching is one where the allocator finds
 * the claim unsatisfiable, on every single-claim conformance scenario. This is what lets the
 * explanation of a pending claim skip the allocator's search on most nodes of a large cluster and
 * still never call a claim pending on a node where it fits.
 */
class RuledOutNodesTest {

  @Test
  void theAllocatorAllocatesOnNoNodeThatIsRuledOut() {
    SelectorCache cache = new SelectorCache(SelectorEnvironment.create(), 512);
    AllocationBudget unbounded = AllocationBudget.steps(Long.MAX_VALUE);
    Map<String, Integer> ruledOut = new TreeMap<>();
    Map<String, Integer> kept = new TreeMap<>();
    List<String> wrong = new ArrayList<>();
    for (SingleClaimScenarios.Single s : SingleClaimScenarios.all()) {
      AllocationOutcome outcome =
          new Allocator(s.slices(), s.classes(), s.allocatedClaims(), cache)
              .allocate(s.node(), List.of(s.claim()), unbounded);
      ClaimDiagnoser diagnoser =
          new ClaimDiagnoser(
              cache, new ClusterDevices(s.slices(), s.allocatedClaims()), s.classes());
      Optional<Map<String, String>> out = RuledOutNodes.of(s.claim(), List.of(s.node()), diagnoser);
      String kind = outcome.getClass().getSimpleName();
      if (out.isPresent() && out.get().containsKey(s.node().getMetadata().getName())) {
        ruledOut.merge(kind, 1, Integer::sum);
        if (outcome instanceof AllocationOutcome.Allocated) {
          wrong.add(s.id() + ": ruled out (" + out.get().values() + ") but " + kind);
        }
      } else {
        kept.merge(kind, 1, Integer::sum);
      }
    }
    System.out.printf("ruled out: %s; searched: %s%n", ruledOut, kept);
    assertThat(wrong).isEmpty();
    assertThat(ruledOut.getOrDefault("Unsatisfiable", 0)).isPositive();
    assertThat(kept.getOrDefault("Allocated", 0)).isPositive();
  }
}
