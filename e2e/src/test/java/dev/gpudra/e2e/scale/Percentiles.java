package dev.gpudra.e2e.scale;

import java.util.List;

/** Nearest-rank percentiles of measured durations, for the tables harnesses print. */
public final class Percentiles {

  private Percentiles() {}

  /** The {@code p}th percentile (nearest rank) of {@code values}; NaN when there are none. */
  public static double of(List<Double> values, int p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = values.stream().sorted().toList();
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
