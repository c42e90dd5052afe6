package dev.gpudra.core.explain;

import dev.gpudra.core.explain.ClusterDevices.Candidate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per ask of a claim: the matching and usable devices per node, and why the others are unusable and
 * who holds them. {@link ClaimDiagnoser} builds one per ask; this record turns it into the count
 * and hold causes when the ask has matching devices but fits on no node.
 */
record AskTally(
    DeviceAsk ask,
    Map<String, List<Candidate>> matching,
    Map<String, List<Candidate>> usable,
    Map<String, Map<Unusable, Set<String>>> unusable,
    Map<String, Map<Unusable, Set<String>>> holders) {

  /** Nodes whose shortfall is detailed per request. */
  private static final int NODES_DETAILED = 2;

  boolean fitsOn(String node) {
    long m = matching.getOrDefault(node, List.of()).size();
    return m > 0 && usable.getOrDefault(node, List.of()).size() >= ask.needed(m);
  }

  /** Counts and holds for an ask that has matching devices but fits on no node. */
  List<Cause> shortfall() {
    List<Cause> out = new ArrayList<>();
    String most = null;
    int mostMatching = 0;
    for (var e : matching().entrySet()) {
      if (e.getValue().size() > mostMatching) {
        most = e.getKey();
        mostMatching = e.getValue().size();
      }
    }
    if (!ask.all() && mostMatching < ask.count()) {
      out.add(
          new Cause(
              ask.name(),
              Cause.Kind.COUNT,
              "request \""
                  + ask.name()
                  + "\" asks "
                  + ask.count()
                  + "; no node has more than "
                  + mostMatching
                  + " matching devices ("
                  + most
                  + " has "
                  + mostMatching
                  + ")"));
    }
    List<String> detailed =
        matching().entrySet().stream()
            .filter(e -> unusable().containsKey(e.getKey()))
            .sorted((a, b) -> Integer.compare(b.getValue().size(), a.getValue().size()))
            .limit(NODES_DETAILED)
            .map(Map.Entry::getKey)
            .toList();
    for (String node : detailed) {
      int matching = matching().get(node).size();
      int free = usable().getOrDefault(node, List.of()).size();
      Map<Unusable, Set<String>> why = unusable().get(node);
      StringBuilder text =
          new StringBuilder("request \"")
              .append(ask.name())
              .append("\" asks ")
              .append(ask.all() ? "all" : String.valueOf(ask.count()))
              .append("; ")
              .append(node)
              .append(" has ")
              .append(free)
              .append(" free of ")
              .append(matching)
              .append(" matching:");
      String sep = " ";
      int shown = 0;
      for (var e : why.entrySet()) {
        if (shown++ == 3) {
          text.append("; ...");
          break;
        }
        text.append(sep)
            .append(e.getKey().describe(e.getValue().size(), holders().get(node).get(e.getKey())));
        sep = "; ";
      }
      out.add(new Cause(ask.name(), why.keySet().iterator().next().kind(), text.toString()));
    }
    return out;
  }
}
