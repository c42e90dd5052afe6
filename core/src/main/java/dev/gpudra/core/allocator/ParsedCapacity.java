package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicy;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicyRange;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A device capacity with its quantities parsed once, so that capacity checks in the search do no
 * parsing.
 *
 * @param value the capacity
 * @param policy whether a request policy exists
 * @param defaultValue the policy's default, or null
 * @param validValues the policy's valid values, empty if none
 * @param hasRange whether the policy has a valid range
 * @param min the range minimum, or null
 * @param max the range maximum, or null
 * @param step the range step, or null
 */
record ParsedCapacity(
    BigDecimal value,
    boolean policy,
    BigDecimal defaultValue,
    List<BigDecimal> validValues,
    boolean hasRange,
    BigDecimal min,
    BigDecimal max,
    BigDecimal step) {

  ParsedCapacity {
    validValues = List.copyOf(validValues);
  }

  static Map<String, ParsedCapacity> of(Map<String, DeviceCapacity> capacities) {
    if (capacities == null || capacities.isEmpty()) {
      return Map.of();
    }
    Map<String, ParsedCapacity> out = new HashMap<>();
    capacities.forEach((name, c) -> out.put(name, of(c)));
    return Map.copyOf(out);
  }

  private static ParsedCapacity of(DeviceCapacity c) {
    CapacityRequestPolicy p = c.getRequestPolicy();
    BigDecimal value = CapacityCheck.value(c.getValue());
    if (p == null) {
      return new ParsedCapacity(value, false, null, List.of(), false, null, null, null);
    }
    CapacityRequestPolicyRange r = p.getValidRange();
    return new ParsedCapacity(
        value,
        true,
        parse(p.getDefault()),
        p.getValidValues() == null
            ? List.of()
            : p.getValidValues().stream().map(CapacityCheck::value).toList(),
        r != null,
        r == null ? null : parse(r.getMin()),
        r == null ? null : parse(r.getMax()),
        r == null ? null : parse(r.getStep()));
  }

  private static BigDecimal parse(Quantity q) {
    return q == null ? null : CapacityCheck.value(q);
  }
}
