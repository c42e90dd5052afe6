package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.Quantities;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicy;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicyRange;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.Map;

/**
 * Consumable capacity: how much of each capacity a request takes from a device, and whether that
 * still fits next to what other allocations hold.
 *
 * <p>An unrequested capacity takes the policy's default, or the whole capacity when there is no
 * policy. A request is rounded up to the next valid value or range step. A request naming a
 * capacity the device lacks never fits. Range steps are whole numbers (fractional ranges are a
 * separate, off-by-default Kubernetes feature).
 */
final class CapacityCheck {
  private CapacityCheck() {}

  /**
   * What the request consumes of every capacity of the device, or null when it names a capacity the
   * device does not have.
   */
  static Map<String, BigDecimal> consumption(
      RequestView request, Map<String, DeviceCapacity> caps) {
    Map<String, Quantity> requested =
        request.capacity() == null || request.capacity().getRequests() == null
            ? Map.of()
            : request.capacity().getRequests();
    for (String name : requested.keySet()) {
      if (!caps.containsKey(name)) {
        return null;
      }
    }
    Map<String, BigDecimal> consumed = new HashMap<>();
    for (Map.Entry<String, DeviceCapacity> e : caps.entrySet()) {
      Quantity asked = requested.get(e.getKey());
      BigDecimal value = consumed(asked == null ? null : value(asked), e.getValue());
      if (value.signum() < 0) {
        throw new InvalidInputException(
            "capacity \"" + e.getKey() + "\": capacity value is negative");
      }
      consumed.put(e.getKey(), value);
    }
    return consumed;
  }

  /**
   * Whether the request fits the device given what allocated claims ({@code held}) and this search
   * ({@code allocating}) already take.
   */
  static boolean fits(
      RequestView request,
      Map<String, DeviceCapacity> caps,
      Map<String, BigDecimal> held,
      Map<String, BigDecimal> allocating) {
    Map<String, BigDecimal> consumed = consumption(request, caps);
    if (consumed == null) {
      return false;
    }
    for (Map.Entry<String, DeviceCapacity> e : caps.entrySet()) {
      BigDecimal c = consumed.get(e.getKey());
      if (violatesPolicy(c, e.getValue().getRequestPolicy())) {
        return false;
      }
      BigDecimal total =
          c.add(held.getOrDefault(e.getKey(), BigDecimal.ZERO))
              .add(allocating.getOrDefault(e.getKey(), BigDecimal.ZERO));
      if (total.compareTo(value(e.getValue().getValue())) > 0) {
        return false;
      }
    }
    return true;
  }

  private static BigDecimal consumed(BigDecimal requested, DeviceCapacity cap) {
    CapacityRequestPolicy policy = cap.getRequestPolicy();
    if (requested == null) {
      return policy != null && policy.getDefault() != null
          ? value(policy.getDefault())
          : value(cap.getValue());
    }
    if (policy == null) {
      return requested;
    }
    CapacityRequestPolicyRange range = policy.getValidRange();
    if (range != null && range.getMin() != null) {
      BigDecimal min = value(range.getMin());
      if (requested.compareTo(min) < 0) {
        return min;
      }
      if (range.getStep() == null) {
        return requested;
      }
      BigDecimal minInt = whole(min);
      BigDecimal step = whole(value(range.getStep()));
      BigDecimal steps = whole(requested).subtract(minInt).divide(step, 0, RoundingMode.CEILING);
      return minInt.add(step.multiply(steps));
    }
    if (policy.getValidValues() != null && !policy.getValidValues().isEmpty()) {
      for (Quantity valid : policy.getValidValues()) {
        if (requested.compareTo(value(valid)) <= 0) {
          return value(valid);
        }
      }
    }
    return requested;
  }

  private static boolean violatesPolicy(BigDecimal consumed, CapacityRequestPolicy policy) {
    if (policy == null) {
      return false;
    }
    if (policy.getDefault() != null && consumed.compareTo(value(policy.getDefault())) == 0) {
      return false;
    }
    CapacityRequestPolicyRange range = policy.getValidRange();
    if (range != null) {
      if (range.getMax() != null && consumed.compareTo(value(range.getMax())) > 0) {
        return true;
      }
      if (range.getStep() != null) {
        BigDecimal offset = whole(consumed).subtract(whole(value(range.getMin())));
        return offset.remainder(whole(value(range.getStep()))).signum() != 0;
      }
      return false;
    }
    if (policy.getValidValues() != null && !policy.getValidValues().isEmpty()) {
      return policy.getValidValues().stream().noneMatch(v -> value(v).compareTo(consumed) == 0);
    }
    return false;
  }

  /** Kubernetes' integer view of a quantity rounds fractions up. */
  private static BigDecimal whole(BigDecimal v) {
    return v.setScale(0, RoundingMode.CEILING);
  }

  static BigDecimal value(Quantity q) {
    return Quantities.of(q).value();
  }
}
