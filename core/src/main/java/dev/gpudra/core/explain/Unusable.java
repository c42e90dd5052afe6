package dev.gpudra.core.explain;

import dev.gpudra.core.allocator.DeviceTaints;
import dev.gpudra.core.explain.ClusterDevices.Candidate;
import dev.gpudra.core.explain.ClusterDevices.CounterKey;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Why a device that matches a request cannot be given to it now: another claim holds it, a taint
 * keeps it, a shared counter it consumes is used up, or its consumable capacity is. Pure.
 *
 * <p>Equal when kind and text are: devices that fail alike are counted together, whoever holds
 * them, and their holders are listed together.
 *
 * @param kind what kind of reason
 * @param text the reason without its holders, e.g. {@code memory has 663Mi of 81559Mi free}
 * @param holders the claims that hold the device or use up what it needs
 */
record Unusable(Cause.Kind kind, String text, Set<String> holders) {

  @Override
  public boolean equals(Object o) {
    return o instanceof Unusable u && u.kind == kind && u.text.equals(text);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + text.hashCode();
  }

  /**
   * The reason for {@code devices} devices with their holders, e.g. {@code 2 held by ml/a, ml/b}.
   */
  String describe(int devices, Set<String> allHolders) {
    return kind == Cause.Kind.HELD
        ? devices + " held by " + names(allHolders)
        : devices
            + " "
            + text
            + (allHolders.isEmpty() ? "" : " (used by " + names(allHolders) + ")");
  }

  /** Claims named before the rest is counted. */
  private static final int HOLDERS_NAMED = 3;

  /** The first reason {@code device} is unusable for {@code ask}, or empty when it is usable. */
  static Optional<Unusable> of(Candidate device, DeviceAsk ask, ClusterDevices cluster) {
    boolean shared = Boolean.TRUE.equals(device.device().getAllowMultipleAllocations());
    Set<String> holders = cluster.holders(device.key());
    if (!shared && !ask.adminAccess() && !holders.isEmpty()) {
      return Optional.of(new Unusable(Cause.Kind.HELD, "held", holders));
    }
    Optional<DeviceTaint> taint =
        DeviceTaints.untolerated(device.device().getTaints(), ask.tolerations());
    if (taint.isPresent()) {
      DeviceTaint t = taint.get();
      return Optional.of(
          new Unusable(
              Cause.Kind.TAINT,
              "tainted "
                  + t.getKey()
                  + (t.getValue() == null || t.getValue().isEmpty() ? "" : "=" + t.getValue())
                  + ":"
                  + t.getEffect()
                  + " and no toleration of the request matches",
              Set.of()));
    }
    if (!ask.adminAccess()) {
      for (DeviceCounterConsumption c :
          ClusterDevices.nullToEmpty(device.device().getConsumesCounters())) {
        if (c.getCounters() == null) {
          continue;
        }
        for (var e : c.getCounters().entrySet()) {
          CounterKey key =
              new CounterKey(
                  device.key().driver(), device.key().pool(), c.getCounterSet(), e.getKey());
          BigDecimal total = cluster.counterTotal(key);
          BigDecimal need = ClusterDevices.amount(e.getValue().getValue());
          if (total == null) {
            continue;
          }
          BigDecimal left = total.subtract(cluster.counterUsed(key));
          if (left.compareTo(need) < 0) {
            return Optional.of(
                new Unusable(
                    Cause.Kind.COUNTER,
                    "need "
                        + QuantityText.exact(need)
                        + " "
                        + e.getKey()
                        + " of counter set "
                        + c.getCounterSet()
                        + ", which has "
                        + QuantityText.exact(left.max(BigDecimal.ZERO))
                        + " of "
                        + QuantityText.exact(total)
                        + " left",
                    cluster.counterHolders(key)));
          }
        }
      }
    }
    if (shared && device.device().getCapacity() != null) {
      // A request that asks nothing of a capacity without a request policy takes all of it.
      for (var e : device.device().getCapacity().entrySet()) {
        BigDecimal used = cluster.consumed(device.key(), e.getKey());
        var policy = e.getValue().getRequestPolicy();
        if (policy != null
            && policy.getDefault() != null
            && !ask.capacity().containsKey(e.getKey())
            && !ask.capacity().containsKey(device.key().driver() + "/" + e.getKey())) {
          // A request that asks nothing of a capacity with a default policy takes the default.
          BigDecimal total = ClusterDevices.amount(e.getValue().getValue());
          BigDecimal need = ClusterDevices.amount(policy.getDefault());
          BigDecimal left = total.subtract(used);
          if (left.compareTo(need) < 0) {
            return Optional.of(
                short_(
                    left, total, e.getKey(), "the default " + QuantityText.exact(need), holders));
          }
        }
        if (e.getValue().getRequestPolicy() == null
            && !ask.capacity().containsKey(e.getKey())
            && used.signum() > 0) {
          BigDecimal total = ClusterDevices.amount(e.getValue().getValue());
          return Optional.of(
              new Unusable(
                  Cause.Kind.CAPACITY,
                  "have "
                      + QuantityText.exact(total.subtract(used).max(BigDecimal.ZERO))
                      + " of "
                      + QuantityText.exact(total)
                      + " "
                      + e.getKey()
                      + " free, and a request that asks none takes all of it",
                  holders));
        }
      }
    }
    if (!ask.capacity().isEmpty()) {
      Map<String, DeviceCapacity> capacity =
          device.device().getCapacity() == null ? Map.of() : device.device().getCapacity();
      for (var e : ask.capacity().entrySet()) {
        String name = e.getKey();
        DeviceCapacity has = capacity.get(name);
        if (has == null && name.startsWith(device.key().driver() + "/")) {
          name = name.substring(device.key().driver().length() + 1);
          has = capacity.get(name);
        }
        if (has == null) {
          return Optional.of(
              new Unusable(Cause.Kind.CAPACITY, "have no capacity " + e.getKey(), Set.of()));
        }
        BigDecimal total = ClusterDevices.amount(has.getValue());
        BigDecimal left = total.subtract(cluster.consumed(device.key(), name));
        if (left.compareTo(e.getValue()) < 0) {
          return Optional.of(short_(left, total, name, QuantityText.exact(e.getValue()), holders));
        }
      }
    }
    return Optional.empty();
  }

  /** A consumable capacity with {@code left} of {@code total} free, less than the request asks. */
  private static Unusable short_(
      BigDecimal left, BigDecimal total, String name, String asks, Set<String> holders) {
    return new Unusable(
        Cause.Kind.CAPACITY,
        "have "
            + QuantityText.exact(left.max(BigDecimal.ZERO))
            + " of "
            + QuantityText.exact(total)
            + " "
            + name
            + " free, the request asks "
            + asks,
        holders);
  }

  static String names(Set<String> claims) {
    if (claims.isEmpty()) {
      return "no claim";
    }
    String named = String.join(", ", claims.stream().limit(HOLDERS_NAMED).toList());
    return claims.size() > HOLDERS_NAMED
        ? named + " and " + (claims.size() - HOLDERS_NAMED) + " more"
        : named;
  }
}
