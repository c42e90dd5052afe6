package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.List;

/**
 * The conformance scenarios that allocate one claim (hand-written, selector and seeded random
 * ones), for tests outside this package that check explanations against the allocator.
 */
public final class SingleClaimScenarios {
  private static final int RANDOM_SCENARIOS = Integer.getInteger("gpudra.explain.scenarios", 600);
  private static final long SEED = Long.getLong("gpudra.conformance.seed", 20261127L);

  private SingleClaimScenarios() {}

  /**
   * One scenario: a node, the cluster's slices and classes, claims holding devices, and the claim.
   */
  public record Single(
      String id,
      Node node,
      List<ResourceSlice> slices,
      List<DeviceClass> classes,
      List<ResourceClaim> allocatedClaims,
      ResourceClaim claim) {}

  /** Every single-claim scenario, the random ones from the conformance seed. */
  public static List<Single> all() {
    List<Scenario> scenarios = new ArrayList<>(HandWrittenScenarios.scenarios());
    scenarios.addAll(SelectorScenarios.scenarios());
    ScenarioGenerator generator = new ScenarioGenerator(SEED);
    for (int i = 0; i < RANDOM_SCENARIOS; i++) {
      scenarios.add(generator.next("random-" + i));
    }
    return scenarios.stream()
        .filter(s -> s.claims().size() == 1)
        .map(
            s ->
                new Single(
                    s.id(),
                    s.node(),
                    s.slices(),
                    s.classes(),
                    s.allocatedClaims(),
                    s.claims().get(0)))
        .toList();
  }
}
