package dev.gpudra.e2e.realnode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A table of the resident memory ({@code VmRSS} of {@code /proc/<pid>/status}) of labelled
 * processes, for benchmark and start-up reports. A process that has gone shows as such.
 */
public final class ProcessMemory {

  private ProcessMemory() {}

  /** One line per process (label, PID, resident MiB) and a total. */
  public static String table(Map<String, Long> pids) {
    StringBuilder out =
        new StringBuilder(String.format("%-28s %8s %10s%n", "process", "pid", "RSS MiB"));
    long total = 0;
    for (Map.Entry<String, Long> entry : pids.entrySet()) {
      long kib = rssKib(entry.getValue());
      total += Math.max(kib, 0);
      out.append(
          String.format(
              "%-28s %8d %10s%n",
              entry.getKey(),
              entry.getValue(),
              kib < 0 ? "gone" : String.format("%.1f", kib / 1024.0)));
    }
    out.append(String.format("%-28s %8s %10.1f%n", "total", "", total / 1024.0));
    return out.toString();
  }

  /** The resident set in KiB, or -1 when the process is gone. */
  static long rssKib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      return 0;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}
