package dev.gpudra.plugin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.plugin.metrics.SharingSnapshot.GpuSharing;
import dev.gpudra.plugin.metrics.SharingSnapshot.Held;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MicrometerSharingMetricsTest {

  private static final long GIB = 1L << 30;

  @Test
  void everyGpuStartsIdleAndWorkloadsComeAndGoWithWhatTheyHold() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    SharingMetrics metrics = new MicrometerSharingMetrics(registry, List.of("gpu-0", "gpu-1"));
    assertThat(registry.scrape())
        .contains("gpudra_gpu_claims{device=\"gpu-0\"} 0")
        .contains("gpudra_gpu_shared_memory_bytes{device=\"gpu-1\"} 0")
        .contains("gpudra_gpu_shared_cores_percent{device=\"gpu-1\"} 0")
        .contains("gpudra_gpu_time_slice{device=\"gpu-0\"} 0")
        .doesNotContain("gpudra_workload_gpu_memory_bytes{");

    Workload agents = new Workload("team", "Deployment", "agents");
    metrics.sharingNow(
        new SharingSnapshot(
            Map.of("gpu-1", new GpuSharing(10, 80 * GIB, 100, 0)),
            Map.of(agents, new Held(80 * GIB, 100))));

    assertThat(registry.scrape())
        .contains("gpudra_gpu_claims{device=\"gpu-1\"} 10")
        .contains("gpudra_gpu_shared_memory_bytes{device=\"gpu-1\"} 8.589934592E10")
        .contains("gpudra_gpu_shared_cores_percent{device=\"gpu-1\"} 100")
        .contains(
            "gpudra_workload_gpu_memory_bytes{namespace=\"team\",owner_kind=\"Deployment\","
                + "owner_name=\"agents\"} 8.589934592E10")
        .contains(
            "gpudra_workload_gpu_cores_percent{namespace=\"team\",owner_kind=\"Deployment\","
                + "owner_name=\"agents\"} 100");

    metrics.sharingNow(new SharingSnapshot(Map.of(), Map.of()));

    assertThat(registry.scrape())
        .contains("gpudra_gpu_claims{device=\"gpu-1\"} 0")
        .doesNotContain("owner_name=\"agents\"");
  }
}
