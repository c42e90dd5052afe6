package dev.gpudra.e2e.scale;

import java.time.Duration;

/**
 * What one JVM of a benchmark showed at a point of interest (synced, converged, registered): the
 * time since it was launched, heap in use after a full GC, resident memory and CPU time used.
 */
public record JvmFootprint(Duration time, long heapBytes, long residentBytes, Duration cpu) {

  /** Reads the footprint of the running JVM {@code pid}; resident memory before the full GC. */
  public static JvmFootprint of(long pid, Duration time) {
    Duration cpu = JvmProbe.cpuTime(pid);
    long rss = JvmProbe.residentBytes(pid);
    return new JvmFootprint(time, JvmProbe.heapAfterFullGc(pid), rss, cpu);
  }
}
