package dev.gpudra.core.explain;

import java.util.Collection;
import java.util.Optional;

/**
 * The existing attribute or capacity name a misspelt one most likely meant: a typo ({@code
 * prodcutName}), a wrong case, or the right name under the wrong driver domain ({@code
 * nvidia.com/productName} on this driver's devices). Pure.
 */
final class NearestName {
  private NearestName() {}

  /**
   * The nearest of {@code existing} (qualified {@code domain/name}) to {@code wanted}: the same
   * name in another domain first, else the smallest edit distance when it is small for the name's
   * length.
   */
  static Optional<String> of(String wanted, Collection<String> existing) {
    String wantedName = wanted.substring(wanted.indexOf('/') + 1);
    for (String name : existing) {
      if (name.substring(name.indexOf('/') + 1).equals(wantedName)) {
        return Optional.of(name);
      }
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String name : existing) {
      int d =
          distance(
              wantedName.toLowerCase(java.util.Locale.ROOT),
              name.substring(name.indexOf('/') + 1).toLowerCase(java.util.Locale.ROOT));
      if (d < bestDistance || (d == bestDistance && best != null && name.compareTo(best) < 0)) {
        best = name;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, wantedName.length() / 3)
        ? Optional.of(best)
        : Optional.empty();
  }

  /** Levenshtein distance with adjacent transpositions counting one. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
