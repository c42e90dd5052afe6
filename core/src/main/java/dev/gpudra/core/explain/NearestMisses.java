package dev.gpudra.core.explain;

import dev.gpudra.core.explain.ClusterDevices.Candidate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
    final Set<String> nodes = new HashSet<>();
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
    // Keys hold each false clause's prefix and miss text (memoised strings whose hashes are
    // cached) rather than their concatenation: thousands of devices share a handful of keys.
    Map<List<Object>, Group> groups = new LinkedHashMap<>();
    Map<String, Integer> seen = new TreeMap<>();
    String[] prefixes = new String[clauses.size()];
    for (int i = 0; i < prefixes.length; i++) {
      String owner = clauses.get(i).owner();
      prefixes[i] = owner.startsWith("class ") ? owner + " requires: " : "";
    }
    ClauseCheck onlyClause = null;
    boolean oneClause = true;
    for (Candidate device : devices) {
      List<Object> key = new ArrayList<>(2 * clauses.size() + 1);
      double gap = 0;
      for (int i = 0; i < prefixes.length; i++) {
        ClauseCheck clause = clauses.get(i);
        if (clause.evaluate(device) == ClauseCheck.Outcome.TRUE) {
          continue;
        }
        ClauseCheck.Miss miss = clause.miss(device);
        if (miss.seen() != null && (onlyClause == null || onlyClause == clause)) {
          onlyClause = clause;
          seen.merge(miss.seen(), 1, Integer::sum);
        } else {
          oneClause = false;
        }
        key.add(prefixes[i]);
        key.add(miss.text());
        gap = Math.max(gap, miss.gap());
      }
      key.add(device.label());
      Group group = groups.get(key);
      if (group == null) {
        List<String> misses = new ArrayList<>();
        for (int i = 0; i + 1 < key.size(); i += 2) {
          misses.add((String) key.get(i) + key.get(i + 1));
        }
        group = new Group(device.label(), misses, gap);
        groups.put(key, group);
      }
      group.devices++;
      group.nodes.add(device.node() == null ? "every node" : device.node());
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
                        + Names.onNodes(new TreeSet<>(g.nodes))
                        + ": "
                        + String.join(" and ", g.misses)))
        .forEach(out::add);
    return out;
  }
}
