package dev.gpudra.plugin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.plugin.sharing.InMemoryMpsDaemons;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MpsDaemonMetricsTest {

  private static final String GPU0 = "GPU-00000000-0000-0000-0000-000000000000";
  private static final String GPU1 = "GPU-11111111-1111-1111-1111-111111111111";

  @Test
  void eachGpuShowsWhetherItsDaemonRunsAndHowOftenThePluginStartedIt() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    InMemoryMpsDaemons daemons = new InMemoryMpsDaemons();
    Map<String, String> gpus = new TreeMap<>(Map.of("gpu-0", GPU0, "gpu-1", GPU1));
    MpsDaemonMetrics.register(registry, gpus, daemons);

    assertThat(registry.scrape())
        .as("every GPU at zero before any daemon")
        .contains("gpudra_mps_daemon_running{device=\"gpu-0\"} 0")
        .contains("gpudra_mps_daemon_running{device=\"gpu-1\"} 0")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-0\"} 0")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-1\"} 0");

    daemons.ensure(MpsRecord.clientOf(GPU1));
    assertThat(registry.scrape())
        .contains("gpudra_mps_daemon_running{device=\"gpu-0\"} 0")
        .contains("gpudra_mps_daemon_running{device=\"gpu-1\"} 1")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-1\"} 1");

    // The daemon dies (killed from outside); the next prepare or recovery starts it again.
    daemons.running.remove(GPU1);
    assertThat(registry.scrape()).contains("gpudra_mps_daemon_running{device=\"gpu-1\"} 0");
    daemons.ensure(MpsRecord.clientOf(GPU1));
    assertThat(registry.scrape())
        .contains("gpudra_mps_daemon_running{device=\"gpu-1\"} 1")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-1\"} 2");

    daemons.stop(GPU1);
    assertThat(registry.scrape())
        .contains("gpudra_mps_daemon_running{device=\"gpu-1\"} 0")
        .as("a counter never goes down")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-1\"} 2");
  }
}
