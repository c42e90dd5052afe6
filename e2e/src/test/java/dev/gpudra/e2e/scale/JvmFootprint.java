package dev.gpudra.e2e.scale;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one JVM of a benchmark showed at a point of interest (synced, converged, registered): the
 * time since it was launched, heap in use after a full GC, resident memory and CPU time used, and
 * where its memory was at that moment ({@code memoryParts}, bytes: the resident parts {@code
 * RssAnon}, {@code RssFile}, {@code RssShmem}, then what Native Memory Tracking commits per
 * category when the JVM runs with it, see {@link JvmProbe#nativeMemory}; empty where not read).
 */
public record JvmFootprint(
    Duration time,
    long heapBytes,
    long residentBytes,
    Duration cpu,
    Map<String, Long> memoryParts) {

  public JvmFootprint {
    memoryParts = Collections.unmodifiableMap(new LinkedHashMap<>(memoryParts));
  }

  public JvmFootprint(Duration time, long heapBytes, long residentBytes, Duration cpu) {
    this(time, heapBytes, residentBytes, cpu, Map.of());
  }

  /** Reads the footprint of the running JVM {@code pid}; memory before the full GC. */
  public static JvmFootprint of(long pid, Duration time) {
    Duration cpu = JvmProbe.cpuTime(pid);
    long rss = JvmProbe.residentBytes(pid);
    Map<String, Long> parts = new LinkedHashMap<>(JvmProbe.residentParts(pid));
    parts.putAll(JvmProbe.nativeMemory(pid));
    return new JvmFootprint(time, JvmProbe.heapAfterFullGc(pid), rss, cpu, parts);
  }
}
