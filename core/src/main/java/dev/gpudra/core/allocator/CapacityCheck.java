package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.Quantities;
import io.fabric8.kubernetes.api.model.Quantity;
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
  static Map<String, BigDecimal> consumption(RequestView request, DeviceEntry device) {
    Map<String, ParsedCapacity> caps = device.capacities();
    Map<String, BigDecimal> requested = request.requestedCapacity();
    for (String name : requested.keySet()) {
      if (!caps.containsKey(name)) {
        return null;
      }
    }
    Map<String, BigDecimal> consumed = new HashMap<>();
    for (Map.Entry<String, ParsedCapacity> e : caps.entrySet()) {
      BigDecimal value = consumed(requested.get(e.getKey()), e.getValue());
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
      DeviceEntry device,
      Map<String, BigDecimal> held,
      Map<String, BigDecimal> allocating) {
    if (request.requestedCapacity().isEmpty() && held.isEmpty() && allocating.isEmpty()) {
      // The common case, the same for every request: decided once per device.
      return device.fitsUnrequested();
    }
    return computeFits(request, device, held, allocating);
  }

  static boolean computeFits(
      RequestView request,
      DeviceEntry device,
      Map<String, BigDecimal> held,
      Map<String, BigDecimal> allocating) {
    Map<String, BigDecimal> consumed = consumption(request, device);
    if (consumed == null) {
      return false;
    }
    for (Map.Entry<String, ParsedCapacity> e : device.capacities().entrySet()) {
      BigDecimal c = consumed.get(e.getKey());
      if (violatesPolicy(c, e.getValue())) {
        return false;
      }
      BigDecimal total =
          c.add(held.getOrDefault(e.getKey(), BigDecimal.ZERO))
              .add(allocating.getOrDefault(e.getKey(), BigDecimal.ZERO));
      if (total.compareTo(e.getValue().value()) > 0) {
        return false;
      }
    }
    return true;
  }

  private static BigDecimal consumed(BigDecimal requested, ParsedCapacity cap) {
    if (requested == null) {
      return cap.defaultValue() != null ? cap.defaultValue() : cap.value();
    }
    if (!cap.policy()) {
      return requested;
    }
    if (cap.hasRange() && cap.min() != null) {
      if (requested.compareTo(cap.min()) < 0) {
        return cap.min();
      }
      if (cap.step() == null) {
        return requested;
      }
      BigDecimal minInt = whole(cap.min());
      BigDecimal step = whole(cap.step());
      BigDecimal steps = whole(requested).subtract(minInt).divide(step, 0, RoundingMode.CEILING);
      return minInt.add(step.multiply(steps));
    }
    for (BigDecimal valid : cap.validValues()) {
      if (requested.compareTo(valid) <= 0) {
        return valid;
      }
    }
    return requested;
  }

  private static boolean violatesPolicy(BigDecimal consumed, ParsedCapacity cap) {
    if (!cap.policy()) {
      return false;
    }
    if (cap.defaultValue() != null && consumed.compareTo(cap.defaultValue()) == 0) {
      return false;
    }
    if (cap.hasRange()) {
      if (cap.max() != null && consumed.compareTo(cap.max()) > 0) {
        return true;
      }
      if (cap.step() != null) {
        BigDecimal offset = whole(consumed).subtract(whole(cap.min()));
        return offset.remainder(whole(cap.step())).signum() != 0;
      }
      return false;
    }
    if (!cap.validValues().isEmpty()) {
      return cap.validValues().stream().noneMatch(v -> v.compareTo(consumed) == 0);
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
