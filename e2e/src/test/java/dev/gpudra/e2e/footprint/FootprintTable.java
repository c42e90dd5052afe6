package dev.gpudra.e2e.footprint;

import dev.gpudra.e2e.footprint.ControllerFootprint.Pair;
import dev.gpudra.e2e.scale.JvmFootprint;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The rows of the footprint benchmark's report: figures side by side, their ratio and the goal. */
final class FootprintTable {

  private FootprintTable() {}

  static void ratios(List<String> report, String label, List<Pair> pairs, Pair median) {
    report.add(
        String.format(
            "%s: resident memory ratio of each of %d runs, in run order: %s; median %.2f"
                + " (the run shown)",
            label,
            pairs.size(),
            pairs.stream()
                .map(
                    p ->
                        String.format(
                            "%.2f (%.1f/%.1f)",
                            p.residentRatio(),
                            mib(p.controller().residentBytes()),
                            mib(p.bare().residentBytes())))
                .collect(Collectors.joining(", ")),
            median.residentRatio()));
  }

  static void controllerRows(
      List<String> report, String label, JvmFootprint bare, JvmFootprint controller) {
    report.add(
        row(
            label + ": synced / converged (s)",
            seconds(bare.time()),
            seconds(controller.time()),
            ""));
    report.add(
        row(
            label + ": resident memory (MiB)",
            mib(bare.residentBytes()),
            mib(controller.residentBytes()),
            "<= 1.1x"));
    report.add(
        row(
            label + ": heap after full GC (MiB)",
            mib(bare.heapBytes()),
            mib(controller.heapBytes()),
            ""));
  }

  /**
   * Where the resident memory of the two "after" JVMs is, part by part (those of at least 1 MiB on
   * either side): the kernel's split of it and what Native Memory Tracking commits per category.
   * Committed is not resident (untouched pages, freed malloc memory kept by the C library), so the
   * categories do not add up to the RSS; the differences show what the controller holds beyond its
   * informers.
   */
  static void memoryRows(
      List<String> report, String label, JvmFootprint bare, JvmFootprint controller) {
    memoryRows(report, label, "bare inf.", "controller", bare, controller);
  }

  /** As {@link #memoryRows(List, String, JvmFootprint, JvmFootprint)}, columns named. */
  static void memoryRows(
      List<String> report,
      String label,
      String leftName,
      String rightName,
      JvmFootprint bare,
      JvmFootprint controller) {
    report.add(
        String.format(
            "%-34s %10s %10s %7s", label + ": where (MiB; counts)", leftName, rightName, "diff"));
    Set<String> keys = new LinkedHashSet<>(controller.memoryParts().keySet());
    keys.addAll(bare.memoryParts().keySet());
    for (String key : keys) {
      long left = bare.memoryParts().getOrDefault(key, 0L);
      long right = controller.memoryParts().getOrDefault(key, 0L);
      if (key.startsWith("#")) {
        report.add(
            String.format(
                "%-34s %10d %10d %+7d", "  " + key.substring(1), left, right, right - left));
      } else if (Math.max(left, right) >= 1024 * 1024) {
        report.add(
            String.format(
                "%-34s %10.1f %10.1f %+7.1f",
                "  " + key, mib(left), mib(right), mib(right) - mib(left)));
      }
    }
  }

  static String row(String what, double left, double right, String goal) {
    return String.format("%-34s %10.1f %10.1f %7.2f %8s", what, left, right, right / left, goal);
  }

  static String row(String what, double before, double flags, double after, String goal) {
    return String.format(
        "%-34s %10.1f %10.1f %10.1f %7.2f %8s", what, before, flags, after, after / before, goal);
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}
