package dev.gpudra.core.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResultBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

class VerdictComparisonTest {
  private final ObjectMapper mapper = JsonMapper.builder().build();
  private final VerdictComparison comparison = new VerdictComparison(mapper);

  private static AllocationResult result(String device, String shareId, String consumed) {
    var b =
        new AllocationResultBuilder()
            .withNewDevices()
            .addNewResult()
            .withRequest("r")
            .withDriver("gpu.gpudra.dev")
            .withPool("p")
            .withDevice(device)
            .withShareID(shareId);
    if (consumed != null) {
      b =
          b.addToConsumedCapacity(
              "bandwidth", new io.fabric8.kubernetes.api.model.Quantity(consumed));
    }
    return b.endResult().endDevices().build();
  }

  private JsonNode oracle(String outcome, AllocationResult... results) {
    var node = mapper.createObjectNode().put("outcome", outcome);
    node.set("allocations", mapper.valueToTree(List.of(results)));
    return node;
  }

  @Test
  void acceptsTheSameAllocationDespiteShareIdsAndQuantityFormats() {
    var java = new AllocationOutcome.Allocated(List.of(result("gpu-0", "a", "1Ki")), 1);
    assertThat(comparison.difference(java, oracle("allocated", result("gpu-0", "b", "1024"))))
        .isNull();
  }

  @Test
  void reportsADifferentDevice() {
    var java = new AllocationOutcome.Allocated(List.of(result("gpu-0", null, null)), 1);
    assertThat(comparison.difference(java, oracle("allocated", result("gpu-1", null, null))))
        .startsWith("allocation:");
  }

  @Test
  void reportsADifferentVerdict() {
    var java = new AllocationOutcome.Unsatisfiable(List.of(), 1);
    assertThat(comparison.difference(java, oracle("allocated", result("gpu-0", null, null))))
        .startsWith("outcome: upstream allocated");
  }
}
