package dev.gpudra.core.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the allocator decides on the fractional-GPU scenarios ({@link FractionalScenarios}); the
 * conformance IT proves Kubernetes' allocator decides the same.
 */
class FractionalAllocationTest {

  private static AllocationOutcome outcome(String id) {
    Scenario s =
        FractionalScenarios.scenarios().stream()
            .filter(x -> x.id().equals(id))
            .findFirst()
            .orElseThrow();
    return new Allocator(
            s.slices(),
            s.classes(),
            s.allocatedClaims(),
            new SelectorCache(SelectorEnvironment.create(), 16))
        .allocate(s.node(), s.claims(), AllocationBudget.steps(Long.MAX_VALUE));
  }

  @ParameterizedTest
  @CsvSource({
    "fractional-ten-agents, true",
    "fractional-eleven-agents, false",
    "fractional-defaults, true",
    "fractional-rounds-up-to-whole-gib, true",
    "fractional-too-much-memory, false",
    "fractional-too-many-cores, false",
    "fractional-whole-next-to-a-share, false",
    "fractional-share-next-to-whole, false",
    "fractional-whole-then-share, false"
  })
  void sharesFitExactlyWhileTheGpusMemoryAndCoresLast(String id, boolean fits) {
    assertThat(outcome(id))
        .as(id)
        .isInstanceOf(
            fits ? AllocationOutcome.Allocated.class : AllocationOutcome.Unsatisfiable.class);
  }

  @ParameterizedTest
  @CsvSource({"fractional-defaults, 1Gi, 10", "fractional-rounds-up-to-whole-gib, 2Gi, 7"})
  void aShareConsumesTheDefaultsOrItsRequestRoundedToWholeGib(
      String id, String memory, String cores) {
    var allocated = (AllocationOutcome.Allocated) outcome(id);
    DeviceRequestAllocationResult r = allocated.results().get(0).getDevices().getResults().get(0);
    assertThat(r.getShareID()).isNotBlank();
    assertThat(r.getConsumedCapacity())
        .isEqualTo(Map.of("memory", new Quantity(memory), "cores", new Quantity(cores)));
    assertThat(List.of(r.getDevice())).containsExactly("gpu-0");
  }
}
