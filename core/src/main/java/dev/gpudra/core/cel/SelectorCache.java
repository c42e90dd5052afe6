package dev.gpudra.core.cel;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded least-recently-used cache of compiled selectors, keyed by expression text.
 *
 * <p>Clusters use a handful of distinct selectors (one per device class plus a few per claim
 * template) over and over, so compiling each once pays off. Invalid expressions are cached too, so
 * a broken class does not cost a compile per device. Thread-safe.
 */
public final class SelectorCache {
  private final SelectorEnvironment environment;
  private final Map<String, Compilation> entries;

  /** Creates a cache holding at most {@code maxEntries} compilations. */
  public SelectorCache(SelectorEnvironment environment, int maxEntries) {
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
    }
    this.environment = environment;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Compilation> eldest) {
            return size() > maxEntries;
          }
        };
  }

  /** Returns the cached compilation of {@code expression}, compiling it on first use. */
  public Compilation getOrCompile(String expression) {
    synchronized (entries) {
      Compilation cached = entries.get(expression);
      if (cached != null) {
        return cached;
      }
    }
    // Compile outside the lock: compiling is slow and the result is the same for every caller.
    Compilation compiled = environment.compile(expression);
    synchronized (entries) {
      entries.putIfAbsent(expression, compiled);
      return entries.get(expression);
    }
  }

  /** Number of cached compilations. */
  public int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
