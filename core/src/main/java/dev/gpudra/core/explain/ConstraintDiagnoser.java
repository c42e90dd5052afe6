package dev.gpudra.core.explain;

import dev.gpudra.core.explain.ClusterDevices.Candidate;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceConstraint;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Names the {@code matchAttribute}/{@code distinctAttribute} constraint that no node can meet with
 * its free matching devices, and the attribute values that split them ({@code pci0000:00 x2,
 * pci0000:40 x2}). Pure.
 */
final class ConstraintDiagnoser {
  private ConstraintDiagnoser() {}

  /**
   * Causes for the constraints of a claim whose requests each fit on {@code nodes} on their own.
   *
   * @param tallies per request name, its alternatives' tallies
   */
  static List<Cause> diagnose(
      List<DeviceConstraint> constraints, Map<String, List<AskTally>> tallies, Set<String> nodes) {
    List<Cause> out = new ArrayList<>();
    for (DeviceConstraint constraint : constraints) {
      String attribute =
          constraint.getMatchAttribute() != null
              ? constraint.getMatchAttribute()
              : constraint.getDistinctAttribute();
      if (attribute == null) {
        continue;
      }
      boolean match = constraint.getMatchAttribute() != null;
      List<String> scope =
          constraint.getRequests() == null || constraint.getRequests().isEmpty()
              ? List.copyOf(tallies.keySet())
              : constraint.getRequests().stream().map(r -> r.split("/")[0]).distinct().toList();
      String bestNode = null;
      Map<String, Integer> bestSplit = Map.of();
      long needed = 0;
      boolean met = false;
      for (String node : nodes) {
        Map<String, Integer> split = new TreeMap<>();
        Map<String, Map<String, Integer>> perRequest = new TreeMap<>();
        Set<Candidate> seen = new HashSet<>();
        long need = 0;
        for (String request : scope) {
          AskTally tally = fitting(tallies.get(request), node);
          if (tally == null) {
            continue;
          }
          List<Candidate> usable = tally.usable().getOrDefault(node, List.of());
          need += tally.ask().needed(tally.matching().getOrDefault(node, List.of()).size());
          for (Candidate c : usable) {
            String value = value(c, attribute);
            perRequest.computeIfAbsent(request, r -> new TreeMap<>()).merge(value, 1, Integer::sum);
            if (seen.add(c)) {
              split.merge(value, 1, Integer::sum);
            }
          }
        }
        final long total = need;
        boolean ok =
            match
                ? split.entrySet().stream()
                    .anyMatch(e -> !e.getKey().equals("(none)") && e.getValue() >= total)
                : split.keySet().stream().filter(v -> !v.equals("(none)")).count() >= total;
        if (ok) {
          met = true;
          break;
        }
        if (bestNode == null || sum(split) > sum(bestSplit)) {
          bestNode = node;
          bestSplit = split;
          needed = total;
        }
      }
      if (met || bestNode == null) {
        continue;
      }
      String values =
          bestSplit.entrySet().stream()
              .map(e -> e.getKey() + " x" + e.getValue())
              .collect(Collectors.joining(", "));
      out.add(
          new Cause(
              "",
              Cause.Kind.CONSTRAINT,
              "constraint "
                  + (match ? "matchAttribute " : "distinctAttribute ")
                  + attribute
                  + " over "
                  + String.join(", ", scope)
                  + ": no node has "
                  + needed
                  + " free matching devices with "
                  + (match ? "one value" : "distinct values")
                  + "; "
                  + bestNode
                  + " has "
                  + values));
    }
    return out;
  }

  private static AskTally fitting(List<AskTally> alternatives, String node) {
    if (alternatives == null) {
      return null;
    }
    for (AskTally t : alternatives) {
      if (t.fitsOn(node)) {
        return t;
      }
    }
    return null;
  }

  private static int sum(Map<String, Integer> split) {
    return split.values().stream().mapToInt(Integer::intValue).sum();
  }

  private static String value(Candidate device, String attribute) {
    int slash = attribute.indexOf('/');
    String domain = slash < 0 ? device.key().driver() : attribute.substring(0, slash);
    String name = attribute.substring(slash + 1);
    Map<String, Object> byName = device.input().attributes().get(domain);
    Object v = byName == null ? null : byName.get(name);
    return v == null ? "(none)" : String.valueOf(v);
  }
}
