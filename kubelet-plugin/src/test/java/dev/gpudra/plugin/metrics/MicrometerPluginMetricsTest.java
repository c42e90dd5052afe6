package dev.gpudra.plugin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class MicrometerPluginMetricsTest {

  @Test
  void anUnusableCheckpointAtStartIsCountedByProblemFromZero() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PluginMetrics metrics = new MicrometerPluginMetrics(registry);
    for (String problem : PluginMetrics.CHECKPOINT_PROBLEMS) {
      assertThat(registry.scrape())
          .contains("gpudra_checkpoint_moved_aside_total{problem=\"" + problem + "\"} 0.0");
    }

    metrics.checkpointMovedAside("unsupported_version");

    assertThat(registry.scrape())
        .contains("gpudra_checkpoint_moved_aside_total{problem=\"unsupported_version\"} 1.0")
        .contains("gpudra_checkpoint_moved_aside_total{problem=\"damaged\"} 0.0");
  }
}
