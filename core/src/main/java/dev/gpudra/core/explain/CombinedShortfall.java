package dev.gpudra.core.explain;

import dev.gpudra.core.explain.ClusterDevices.Candidate;
import dev.gpudra.core.explain.ClusterDevices.CounterKey;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the requests of a claim run out of together when each has enough devices on its own: too few
 * distinct free devices for all of them, or a shared counter (MIG slices of one GPU) that the
 * devices they need would overdraw. Pure.
 */
final class CombinedShortfall {
  private CombinedShortfall() {}

  /** A cause when no node in {@code nodes} has enough for all requests together, else empty. */
  static Optional<Cause> of(
      Map<String, List<AskTally>> tallies, Set<String> nodes, ClusterDevices cluster) {
    Cause first = null;
    for (String node : nodes) {
      Optional<Cause> cause = onNode(tallies, node, cluster);
      if (cause.isEmpty()) {
        return Optional.empty();
      }
      if (first == null) {
        first = cause.get();
      }
    }
    return Optional.ofNullable(first);
  }

  private static Optional<Cause> onNode(
      Map<String, List<AskTally>> tallies, String node, ClusterDevices cluster) {
    Set<Candidate> distinct = new HashSet<>();
    long needed = 0;
    Map<CounterKey, BigDecimal> drawn = new LinkedHashMap<>();
    for (List<AskTally> alternatives : tallies.values()) {
      AskTally tally = alternatives.stream().filter(t -> t.fitsOn(node)).findFirst().orElse(null);
      if (tally == null) {
        return Optional.empty();
      }
      List<Candidate> usable = new ArrayList<>(tally.usable().getOrDefault(node, List.of()));
      long n = tally.ask().needed(tally.matching().getOrDefault(node, List.of()).size());
      needed += n;
      distinct.addAll(usable);
      usable.sort(
          Comparator.comparing(
              c -> draw(c).values().stream().reduce(BigDecimal.ZERO, BigDecimal::add)));
      usable.stream()
          .limit(n)
          .forEach(c -> draw(c).forEach((k, v) -> drawn.merge(k, v, BigDecimal::add)));
    }
    if (distinct.size() < needed) {
      return Optional.of(
          new Cause(
              "",
              Cause.Kind.COUNT,
              "the requests ask "
                  + needed
                  + " devices together; "
                  + node
                  + " has "
                  + distinct.size()
                  + " free devices that match any of them"));
    }
    for (var e : drawn.entrySet()) {
      BigDecimal total = cluster.counterTotal(e.getKey());
      if (total == null) {
        continue;
      }
      BigDecimal left = total.subtract(cluster.counterUsed(e.getKey()));
      if (left.compareTo(e.getValue()) < 0) {
        Set<String> holders = cluster.counterHolders(e.getKey());
        return Optional.of(
            new Cause(
                "",
                Cause.Kind.COUNTER,
                "the devices the requests need on "
                    + node
                    + " draw "
                    + QuantityText.exact(e.getValue())
                    + " "
                    + e.getKey().counter()
                    + " from counter set "
                    + e.getKey().set()
                    + ", which has "
                    + QuantityText.exact(left.max(BigDecimal.ZERO))
                    + " of "
                    + QuantityText.exact(total)
                    + " left"
                    + (holders.isEmpty() ? "" : " (used by " + Unusable.names(holders) + ")")));
      }
    }
    return Optional.empty();
  }

  private static Map<CounterKey, BigDecimal> draw(Candidate device) {
    Map<CounterKey, BigDecimal> out = new LinkedHashMap<>();
    for (DeviceCounterConsumption c :
        ClusterDevices.nullToEmpty(device.device().getConsumesCounters())) {
      if (c.getCounters() != null) {
        c.getCounters()
            .forEach(
                (name, counter) ->
                    out.put(
                        new CounterKey(
                            device.key().driver(), device.key().pool(), c.getCounterSet(), name),
                        ClusterDevices.amount(counter.getValue())));
      }
    }
    return out;
  }
}
