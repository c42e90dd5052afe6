package dev.gpudra.core.explain;

import dev.gpudra.core.explain.ClusterDevices.Candidate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The devices closest to matching a request, grouped by what people call them and by why they miss
 * ({@code 8x NVIDIA H100 80GB HBM3 on gpu-h100-8x: memory 81559Mi (79.6Gi) < 80Gi}): fewest false
 * clauses first, then the smallest numeric gap, then the largest group. Pure.
 */
final class NearestMisses {
  private NearestMisses() {}

  private static final class Group {
    final String label;
    final List<String> misses;
    final double gap;
    final Map<String, Integer> nodes = new TreeMap<>();
    int devices;

    Group(String label, List<String> misses, double gap) {
      this.label = label;
      this.misses = misses;
      this.gap = gap;
    }
  }

  /**
   * Up to {@code limit} causes for request {@code request}, nearest first; when one clause that
   * reads one attribute is what every device misses, a line with the values there comes first
   * ({@code profile == "1g.12gb"}: the profiles that do exist).
   */
  static List<Cause> of(
      String request, List<Candidate> devices, List<ClauseCheck> clauses, int limit) {
    Map<List<String>, Group> groups = new LinkedHashMap<>();
    Map<String, Integer> seen = new TreeMap<>();
    ClauseCheck onlyClause = null;
    boolean oneClause = true;
    for (Candidate device : devices) {
      List<String> misses = new ArrayList<>();
      double gap = 0;
      for (ClauseCheck clause : clauses) {
        if (clause.evaluate(device.input()) == ClauseCheck.Outcome.TRUE) {
          continue;
        }
        ClauseCheck.Miss miss = clause.miss(device.input());
        if (miss.seen() != null && (onlyClause == null || onlyClause == clause)) {
          onlyClause = clause;
          seen.merge(miss.seen(), 1, Integer::sum);
        } else {
          oneClause = false;
        }
        misses.add(
            (clause.owner().startsWith("class ") ? clause.owner() + " requires: " : "")
                + miss.text());
        gap = Math.max(gap, miss.gap());
      }
      List<String> key = new ArrayList<>(misses);
      key.add(device.label());
      double g = gap;
      Group group = groups.computeIfAbsent(key, k -> new Group(device.label(), misses, g));
      group.devices++;
      group.nodes.merge(device.node() == null ? "every node" : device.node(), 1, Integer::sum);
    }
    List<Cause> out = new ArrayList<>();
    if (oneClause && onlyClause != null && seen.size() > 1) {
      StringBuilder values = new StringBuilder();
      seen.forEach(
          (v, n) ->
              values
                  .append(values.length() == 0 ? "" : ", ")
                  .append(v)
                  .append(" (")
                  .append(n)
                  .append(')'));
      out.add(
          new Cause(
              request,
              Cause.Kind.SELECTOR,
              "request \""
                  + request
                  + "\": "
                  + onlyClause.shortText(devices.get(0).key().driver())
                  + " is false on all "
                  + devices.size()
                  + " candidate devices; the values there: "
                  + values));
    }
    groups.values().stream()
        .filter(g -> !g.misses.isEmpty())
        .sorted(
            Comparator.<Group>comparingInt(g -> g.misses.size())
                .thenComparingDouble(g -> g.gap)
                .thenComparing(Comparator.<Group>comparingInt(g -> g.devices).reversed()))
        .limit(limit)
        .map(
            g ->
                new Cause(
                    request,
                    Cause.Kind.SELECTOR,
                    "request \""
                        + request
                        + "\": "
                        + g.devices
                        + "x "
                        + g.label
                        + " "
                        + Names.onNodes(g.nodes.keySet())
                        + ": "
                        + String.join(" and ", g.misses)))
        .forEach(out::add);
    return out;
  }
}
