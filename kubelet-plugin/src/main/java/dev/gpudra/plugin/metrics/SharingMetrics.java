package dev.gpudra.plugin.metrics;

/**
 * How the node's GPUs are shared, as metrics: per GPU the claims holding it, the memory and cores
 * allocated to its shares and its time slice; per workload the GPU memory and compute it holds. An
 * interface so that code under test runs with {@link #NOOP}. Implementations are thread-safe.
 *
 * <p>The state of the GPUs' MPS daemons is read from the daemons themselves at each scrape ({@link
 * MpsDaemonMetrics}), not from the claims.
 */
public interface SharingMetrics {

  /** Measures nothing. */
  SharingMetrics NOOP = snapshot -> {};

  /** The node's sharing is now {@code snapshot}; what it no longer names is gone. */
  void sharingNow(SharingSnapshot snapshot);
}
