package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.QuantityValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * Compares the Java allocator's outcome with the oracle's verdict: same kind (allocated,
 * unsatisfiable, error) and, when allocated, the same {@code status.allocation} after
 * normalisation. Normalisation drops what JSON encoders differ in without changing meaning (null
 * and empty fields), writes quantities canonically and masks share IDs, which are random upstream.
 */
final class VerdictComparison {
  private final ObjectMapper mapper;

  VerdictComparison(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** Null when they agree, else a description of the difference. */
  String difference(AllocationOutcome java, JsonNode oracle) {
    String expected = oracle.path("outcome").asString();
    String actual =
        switch (java) {
          case AllocationOutcome.Allocated a -> "allocated";
          case AllocationOutcome.Unsatisfiable u -> "unsatisfiable";
          case AllocationOutcome.Invalid i -> "error";
          case AllocationOutcome.BudgetExceeded b -> "budget";
        };
    if (!expected.equals(actual)) {
      return "outcome: upstream "
          + expected
          + " ("
          + oracle.path("error").asString()
          + "), java "
          + actual
          + " "
          + java;
    }
    if (java instanceof AllocationOutcome.Allocated a) {
      JsonNode mine = normalize(mapper.valueToTree(a.results()));
      JsonNode theirs = normalize(oracle.path("allocations"));
      if (!Objects.equals(mine, theirs)) {
        return "allocation:\n upstream " + theirs + "\n java     " + mine;
      }
    }
    return null;
  }

  JsonNode normalize(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isArray()) {
      ArrayNode out = mapper.createArrayNode();
      for (JsonNode e : node) {
        JsonNode n = normalize(e);
        if (n != null) {
          out.add(n);
        }
      }
      return out.isEmpty() ? null : out;
    }
    if (node.isObject()) {
      ObjectNode out = mapper.createObjectNode();
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
      for (Map.Entry<String, JsonNode> f : fields) {
        JsonNode n;
        if (f.getKey().equals("shareID")) {
          n = StringNode.valueOf("<share>");
        } else if (f.getKey().equals("consumedCapacity")) {
          ObjectNode q = mapper.createObjectNode();
          f.getValue()
              .properties()
              .forEach(
                  e ->
                      q.put(
                          e.getKey(),
                          QuantityValue.parse(e.getValue().asString()).value().toPlainString()));
          n = q.isEmpty() ? null : q;
        } else {
          n = normalize(f.getValue());
        }
        if (n != null) {
          out.set(f.getKey(), n);
        }
      }
      return out.isEmpty() ? null : out;
    }
    return node;
  }
}
