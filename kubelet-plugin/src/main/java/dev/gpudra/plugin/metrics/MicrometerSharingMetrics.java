package dev.gpudra.plugin.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link SharingMetrics} on Micrometer, exported as Prometheus series:
 *
 * <ul>
 *   <li>{@code gpudra_gpu_claims{device}}: prepared claims holding the GPU (whole, a MIG device of
 *       it, or a share);
 *   <li>{@code gpudra_gpu_shared_memory_bytes{device}}, {@code
 *       gpudra_gpu_shared_cores_percent{device}}: memory and cores allocated to its shares
 *       (fractional GPUs), from their consumed capacity;
 *   <li>{@code gpudra_gpu_time_slice{device}}: its time slice (0 Default, 1 Short, 2 Medium, 3
 *       Long);
 *   <li>{@code gpudra_workload_gpu_memory_bytes{namespace,owner_kind,owner_name}}, {@code
 *       gpudra_workload_gpu_cores_percent{...}}: GPU memory and compute each workload holds on the
 *       node (shares' consumed capacity; a whole GPU counts all its memory and 100%).
 * </ul>
 *
 * The per-GPU series exist from start-up at zero for every GPU of the node, so a dashboard shows
 * idle GPUs; a workload's series exist while it holds something and go when it no longer does,
 * which keeps the label set to the workloads the node runs. Thread-safe.
 */
public final class MicrometerSharingMetrics implements SharingMetrics {

  private final Map<String, AtomicLong[]> gpus = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final MultiGauge workloadMemory;
  private final MultiGauge workloadCores;

  /**
   * @param registry where the meters are registered
   * @param gpus device names of the node's GPUs ({@code gpu-<minor>}), whose series start at zero
   */
  public MicrometerSharingMetrics(MeterRegistry registry, List<String> gpus) {
    this.registry = registry;
    gpus.forEach(this::series);
    workloadMemory =
        MultiGauge.builder("gpudra.workload.gpu.memory.bytes")
            .description("GPU memory a workload holds on this node")
            .register(registry);
    workloadCores =
        MultiGauge.builder("gpudra.workload.gpu.cores.percent")
            .description(
                "GPU compute a workload holds on this node, in percent of a GPU's multiprocessors")
            .register(registry);
  }

  @Override
  public synchronized void sharingNow(SharingSnapshot snapshot) {
    snapshot.gpus().keySet().forEach(this::series);
    gpus.forEach(
        (gpu, values) -> {
          SharingSnapshot.GpuSharing s =
              snapshot.gpus().getOrDefault(gpu, SharingSnapshot.GpuSharing.IDLE);
          values[0].set(s.claims());
          values[1].set(s.sharedMemoryBytes());
          values[2].set(s.sharedCoresPercent());
          values[3].set(s.timeSlice());
        });
    workloadMemory.register(
        snapshot.workloads().entrySet().stream()
            .map(e -> MultiGauge.Row.of(tags(e.getKey()), e.getValue().memoryBytes()))
            .toList(),
        true);
    workloadCores.register(
        snapshot.workloads().entrySet().stream()
            .map(e -> MultiGauge.Row.of(tags(e.getKey()), e.getValue().coresPercent()))
            .toList(),
        true);
  }

  private static Tags tags(Workload workload) {
    return Tags.of(
        "namespace", workload.namespace(),
        "owner_kind", workload.kind(),
        "owner_name", workload.name());
  }

  private AtomicLong[] series(String gpu) {
    return gpus.computeIfAbsent(
        gpu,
        g -> {
          AtomicLong[] values = {
            new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()
          };
          gauge(
              "gpudra.gpu.claims", "Prepared claims holding the GPU or a part of it", g, values[0]);
          gauge(
              "gpudra.gpu.shared.memory.bytes",
              "GPU memory allocated to the GPU's shares (consumed capacity)",
              g,
              values[1]);
          gauge(
              "gpudra.gpu.shared.cores.percent",
              "Multiprocessors allocated to the GPU's shares, in percent (consumed capacity)",
              g,
              values[2]);
          gauge(
              "gpudra.gpu.time.slice",
              "Compute time slice of the GPU: 0 Default, 1 Short, 2 Medium, 3 Long",
              g,
              values[3]);
          return values;
        });
  }

  private void gauge(String name, String help, String gpu, AtomicLong value) {
    Gauge.builder(name, value, AtomicLong::get)
        .description(help)
        .tag("device", gpu)
        .register(registry);
  }
}
