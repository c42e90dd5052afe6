package dev.gpudra.e2e.scale;

import dev.gpudra.e2e.cluster.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads another JVM's footprint from outside, the same way for the controller and the baseline:
 * heap in use right after a full collection ({@code jcmd GC.run}, then {@code GC.heap_info}),
 * resident memory and CPU time from {@code /proc}.
 */
public final class JvmProbe {

  private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total.*?used (\\d+)K");
  private static final Pattern GENERATION_USED =
      Pattern.compile("^[A-Za-z]\\S*\\s+total \\d+K, used (\\d+)K");
  private static final Pattern NMT_CATEGORY =
      Pattern.compile("^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB");
  private static final Pattern NMT_COUNT = Pattern.compile("^\\s+\\((classes|threads) #(\\d+)");
  private static final Duration JCMD_TIMEOUT = Duration.ofMinutes(2);
  private static final long CLOCK_TICKS = clockTicks();

  private JvmProbe() {}

  /** Bytes of heap in use after a full GC of process {@code pid}. */
  public static long heapAfterFullGc(long pid) {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher m = HEAP_USED.matcher(info.replace('\n', ' '));
    if (m.find()) {
      return Long.parseLong(m.group(1)) * 1024;
    }
    // Collectors with generations of their own (Serial: DefNew and Tenured; Parallel) print one
    // unindented line per generation; their spaces and Metaspace are indented.
    long usedKib = 0;
    boolean found = false;
    for (String line : info.split("\n")) {
      Matcher generation = GENERATION_USED.matcher(line);
      if (generation.find()) {
        usedKib += Long.parseLong(generation.group(1));
        found = true;
      }
    }
    if (!found) {
      throw new IllegalStateException("no heap usage in GC.heap_info of " + pid + ":\n" + info);
    }
    return usedKib * 1024;
  }

  /** Resident set size of {@code pid} in bytes. */
  public static long residentBytes(long pid) {
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  /**
   * Memory committed per Native Memory Tracking category of {@code pid} (Java Heap, Class, Thread,
   * Code, GC, Compiler, Metaspace, ...), in bytes, in the order the JVM prints them, plus the
   * counts it prints with them ({@code classes}, {@code threads}) under {@code "#classes"} and
   * {@code "#threads"}; empty when the JVM was started without {@code -XX:NativeMemoryTracking}.
   */
  public static Map<String, Long> nativeMemory(long pid) {
    return parseNativeMemory(jcmd(pid, "VM.native_memory summary"));
  }

  static Map<String, Long> parseNativeMemory(String summary) {
    Map<String, Long> committed = new LinkedHashMap<>();
    for (String line : summary.split("\n")) {
      Matcher category = NMT_CATEGORY.matcher(line);
      if (category.find()) {
        committed.put(category.group(1).strip(), Long.parseLong(category.group(2)) * 1024);
        continue;
      }
      Matcher count = NMT_COUNT.matcher(line);
      if (count.find()) {
        committed.putIfAbsent("#" + count.group(1), Long.parseLong(count.group(2)));
      }
    }
    return committed;
  }

  /**
   * The parts of {@code pid}'s resident memory, in bytes: {@code RssAnon} (the process's own
   * memory), {@code RssFile} (mapped files: the JVM's libraries, the class-data archive) and {@code
   * RssShmem}.
   */
  public static Map<String, Long> residentParts(long pid) {
    Map<String, Long> parts = new LinkedHashMap<>();
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith("Rss")) {
        int colon = line.indexOf(':');
        parts.put(line.substring(0, colon), Long.parseLong(line.replaceAll("\\D+", "")) * 1024);
      }
    }
    return parts;
  }

  /** User plus system CPU time {@code pid} has used. */
  public static Duration cpuTime(long pid) {
    return ticks(read(Path.of("/proc", Long.toString(pid), "stat")));
  }

  /**
   * CPU time per thread name of {@code pid} (threads of the same name added up). Linux shows at
   * most 15 characters of a name, e.g. {@code metrics-refresh}.
   */
  public static Map<String, Duration> cpuByThread(long pid) {
    Map<String, Duration> byName = new TreeMap<>();
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (Stream<Path> threads = Files.list(tasks)) {
      for (Path task : threads.toList()) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          byName.merge(name, ticks(Files.readString(task.resolve("stat"))), Duration::plus);
        } catch (IOException e) {
          // The thread ended while listing.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return byName;
  }

  private static Duration ticks(String stat) {
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    return Duration.ofMillis(ticks * 1000 / CLOCK_TICKS);
  }

  private static String jcmd(long pid, String command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    return Command.check(JCMD_TIMEOUT, jcmd.toString(), Long.toString(pid), command).stdout();
  }

  private static long clockTicks() {
    return Long.parseLong(
        Command.check(Duration.ofSeconds(10), "getconf", "CLK_TCK").stdout().strip());
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
