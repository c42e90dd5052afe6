package dev.gpudra.core.explain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Lists of node names cut to a readable length: {@code a, b, c and 997 more}. Pure. */
final class Names {
  private Names() {}

  /** Names shown before the rest is counted. */
  static final int NAMED = 3;

  static String of(Collection<String> names) {
    List<String> list = new ArrayList<>(names);
    String named = String.join(", ", list.subList(0, Math.min(NAMED, list.size())));
    return list.size() > NAMED ? named + " and " + (list.size() - NAMED) + " more" : named;
  }

  /** {@code on gpu-a} or {@code on 12 nodes (a, b, c and 9 more)}. */
  static String onNodes(Collection<String> nodes) {
    return nodes.size() == 1
        ? "on " + nodes.iterator().next()
        : "on " + nodes.size() + " nodes (" + of(nodes) + ")";
  }

  /**
   * Device names with numbered runs folded: {@code gpu-0..7} for gpu-0 to gpu-7, in the given order
   * otherwise.
   */
  static String devices(List<String> names) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < names.size()) {
      String prefix = prefix(names.get(i));
      int j = i;
      while (j + 1 < names.size()
          && prefix != null
          && prefix.equals(prefix(names.get(j + 1)))
          && number(names.get(j + 1)) == number(names.get(j)) + 1) {
        j++;
      }
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(names.get(i));
      if (j > i) {
        out.append(j == i + 1 ? ", " + names.get(j) : ".." + number(names.get(j)));
      }
      i = j + 1;
    }
    return out.toString();
  }

  private static String prefix(String name) {
    int k = name.length();
    while (k > 0 && Character.isDigit(name.charAt(k - 1))) {
      k--;
    }
    return k == name.length() || name.length() - k > 9 ? null : name.substring(0, k);
  }

  private static long number(String name) {
    String p = prefix(name);
    return p == null ? -1 : Long.parseLong(name.substring(p.length()));
  }
}
