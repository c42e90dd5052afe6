package dev.gpudra.core.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Differential conformance: the Java allocator and Kubernetes' own ({@code
 * k8s.io/dynamic-resource-allocation/structured} v0.37.2, run by {@code tools/allocator-oracle})
 * must reach the same verdict on every scenario, and the same allocation where both succeed (they
 * search in the same order, so the first solution is the same).
 *
 * <p>Needs the Go toolchain and module proxy the first time; later runs reuse the cached oracle.
 */
class AllocatorConformanceIT {
  // Overridable to search wider, e.g. -Dgpudra.conformance.scenarios=50000.
  private static final int RANDOM_SCENARIOS =
      Integer.getInteger("gpudra.conformance.scenarios", 2000);
  private static final long SEED = Long.getLong("gpudra.conformance.seed", 20261127L);

  private static ObjectMapper mapper;
  private static OracleClient oracle;

  @BeforeAll
  static void buildOracle() throws Exception {
    mapper = JsonMapper.builder().build();
    oracle = OracleClient.build(mapper);
  }

  @Test
  void agreesWithUpstreamOnHandWrittenScenarios() throws Exception {
    List<Scenario> scenarios = HandWrittenScenarios.scenarios();
    List<String> mismatches = compare("hand-written", scenarios);
    assertThat(mismatches).isEmpty();
  }

  @Test
  void evaluatesSelectorsLikeUpstream() throws Exception {
    List<String> mismatches = compare("selectors", SelectorScenarios.scenarios());
    assertThat(mismatches)
        .allMatch(
            m -> SelectorScenarios.KNOWN_DIFFERENCES.stream().anyMatch(m::contains),
            "only the documented differences");
  }

  @Test
  void agreesWithUpstreamOnSeededRandomScenarios() throws Exception {
    ScenarioGenerator generator = new ScenarioGenerator(SEED);
    List<Scenario> scenarios = new ArrayList<>();
    for (int i = 0; i < RANDOM_SCENARIOS; i++) {
      scenarios.add(generator.next("random-" + i));
    }
    List<String> mismatches = compare("random (seed " + SEED + ")", scenarios);
    assertThat(mismatches).isEmpty();
  }

  /** How many upstream allocations exercised each feature, to show what agreement covers. */
  private static Map<String, Integer> featuresUsed(List<JsonNode> verdicts) {
    Map<String, Integer> used = new TreeMap<>();
    for (JsonNode v : verdicts) {
      for (JsonNode allocation : v.path("allocations")) {
        for (JsonNode r : allocation.path("devices").path("results")) {
          String pool = r.path("pool").asString();
          count(used, "firstAvailable", r.path("request").asString().contains("/"));
          count(used, "adminAccess", r.path("adminAccess").asBoolean(false));
          count(used, "tolerations", !r.path("tolerations").isMissingNode());
          count(used, "sharedDevice", !r.path("shareID").isMissingNode());
          count(used, "sharedPool", pool.startsWith("shared") || pool.equals("per-device"));
          count(used, "spanningPool", pool.equals("span"));
        }
        count(used, "config", !allocation.path("devices").path("config").isMissingNode());
        count(used, "labelNodeSelector", allocation.toString().contains("\"matchExpressions\""));
      }
    }
    return used;
  }

  private static void count(Map<String, Integer> used, String feature, boolean present) {
    if (present) {
      used.merge(feature, 1, Integer::sum);
    }
  }

  private List<String> compare(String label, List<Scenario> scenarios) throws Exception {
    List<JsonNode> verdicts = oracle.run(scenarios);
    assertThat(verdicts).hasSameSizeAs(scenarios);
    SelectorCache cache = new SelectorCache(SelectorEnvironment.create(), 256);
    VerdictComparison comparison = new VerdictComparison(mapper);
    List<String> mismatches = new ArrayList<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < scenarios.size(); i++) {
      Scenario s = scenarios.get(i);
      AllocationOutcome java =
          new Allocator(s.slices(), s.classes(), s.allocatedClaims(), cache)
              // Unbounded like the oracle, so that the verdict never depends on machine speed.
              .allocate(s.node(), s.claims(), AllocationBudget.steps(Long.MAX_VALUE));
      outcomes.merge(verdicts.get(i).path("outcome").asString(), 1, Integer::sum);
      String diff = comparison.difference(java, verdicts.get(i));
      if (diff != null) {
        mismatches.add(s.id() + ": " + diff + "\n scenario " + mapper.writeValueAsString(s));
      }
    }
    System.out.printf(
        "allocator conformance, %s: %d scenarios, %d agreed, %d mismatches; upstream outcomes %s;"
            + " allocations using %s%n",
        label,
        scenarios.size(),
        scenarios.size() - mismatches.size(),
        mismatches.size(),
        outcomes,
        featuresUsed(verdicts));
    mismatches.stream().limit(5).forEach(System.out::println);
    return mismatches;
  }
}
