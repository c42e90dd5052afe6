package dev.gpudra.plugin.metrics;

import dev.gpudra.plugin.sharing.MpsControl;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;

/**
 * The MPS control daemons of the node's GPUs as Prometheus series, read from {@link MpsControl}
 * when scraped:
 *
 * <ul>
 *   <li>{@code gpudra_mps_daemon_running{device}}: 1 while the GPU's daemon runs, else 0;
 *   <li>{@code gpudra_mps_daemon_starts_total{device}}: daemons this plugin process started for the
 *       GPU, restarts after a daemon died included (a counter: it starts again at 0 with the
 *       plugin, which Prometheus' {@code increase} handles as a reset).
 * </ul>
 *
 * Every full GPU of the node has both series from start-up, at zero on a GPU no claim shares
 * through MPS, so a dashboard shows a daemon that is missing rather than nothing. Asking {@link
 * MpsControl} is cheap and safe beside a running prepare (it reads the daemon's files); its answer
 * is as current as the scrape.
 */
public final class MpsDaemonMetrics {

  private MpsDaemonMetrics() {}

  /**
   * Registers the series of {@code gpus} in {@code registry}.
   *
   * @param gpus the node's full GPUs: GPU UUID by device name ({@code gpu-<minor>})
   * @param control the node's daemons; the meters hold it weakly, as Micrometer's function meters
   *     do, so the caller keeps it alive (the plugin's prepare path does)
   */
  public static void register(
      MeterRegistry registry, Map<String, String> gpus, MpsControl control) {
    gpus.forEach(
        (device, uuid) -> {
          Gauge.builder("gpudra.mps.daemon.running", control, c -> c.running(uuid) ? 1 : 0)
              .description("1 while the GPU's MPS control daemon runs, else 0")
              .tag("device", device)
              .register(registry);
          FunctionCounter.builder("gpudra.mps.daemon.starts", control, c -> c.starts(uuid))
              .description(
                  "MPS control daemons this plugin process started for the GPU, restarts included")
              .tag("device", device)
              .register(registry);
        });
  }
}
