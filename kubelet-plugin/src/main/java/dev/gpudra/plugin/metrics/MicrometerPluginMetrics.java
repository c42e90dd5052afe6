package dev.gpudra.plugin.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link PluginMetrics} on Micrometer, exported as Prometheus series:
 *
 * <ul>
 *   <li>{@code gpudra_prepare_requests_total{result}}, {@code
 *       gpudra_unprepare_requests_total{result}}: claims by outcome;
 *   <li>{@code gpudra_prepare_duration_seconds}, {@code gpudra_unprepare_duration_seconds}:
 *       histograms per claim, failures included;
 *   <li>{@code gpudra_prepared_claims}, {@code gpudra_prepared_devices}: current totals;
 *   <li>{@code gpudra_checkpoint_moved_aside_total{problem}}: unusable checkpoints found at
 *       start-up (damaged, unsupported_version, not_a_file), kept aside while the plugin serves;
 *   <li>{@code gpudra_cdi_specs_restored_total}: CDI specs of prepared claims found missing at
 *       start-up and written again.
 * </ul>
 *
 * Every series exists from start-up at zero, so rates and absent-series alerts work before the
 * first claim. Thread-safe.
 */
public final class MicrometerPluginMetrics implements PluginMetrics {

  private final Map<String, Counter> prepareCounts;
  private final Map<String, Counter> unprepareCounts;
  private final Timer prepareTimer;
  private final Timer unprepareTimer;
  private final Map<String, Counter> movedAside;
  private final Counter specsRestored;
  private final AtomicInteger claims = new AtomicInteger();
  private final AtomicInteger devices = new AtomicInteger();

  /**
   * @param registry where the meters are registered
   */
  public MicrometerPluginMetrics(MeterRegistry registry) {
    prepareCounts = counters(registry, "gpudra.prepare.requests", "Claims prepared, by result");
    unprepareCounts =
        counters(registry, "gpudra.unprepare.requests", "Claims unprepared, by result");
    prepareTimer = timer(registry, "gpudra.prepare.duration", "Time to prepare one claim");
    unprepareTimer = timer(registry, "gpudra.unprepare.duration", "Time to unprepare one claim");
    Gauge.builder("gpudra.prepared.claims", claims, AtomicInteger::get)
        .description("Claims prepared on this node")
        .register(registry);
    Gauge.builder("gpudra.prepared.devices", devices, AtomicInteger::get)
        .description("Devices prepared on this node")
        .register(registry);
    movedAside =
        CHECKPOINT_PROBLEMS.stream()
            .collect(
                java.util.stream.Collectors.toUnmodifiableMap(
                    problem -> problem,
                    problem ->
                        Counter.builder("gpudra.checkpoint.moved.aside")
                            .description(
                                "Unusable checkpoints found at start-up and moved aside, by problem")
                            .tag("problem", problem)
                            .register(registry)));
    specsRestored =
        Counter.builder("gpudra.cdi.specs.restored")
            .description("CDI specs of prepared claims found missing at start-up and written again")
            .register(registry);
  }

  @Override
  public void cdiSpecRestored() {
    specsRestored.increment();
  }

  @Override
  public void checkpointMovedAside(String problem) {
    Counter counter = movedAside.get(problem);
    if (counter != null) {
      counter.increment();
    }
  }

  private static Map<String, Counter> counters(MeterRegistry r, String name, String help) {
    return Map.of(
        SUCCESS,
        Counter.builder(name).description(help).tag("result", SUCCESS).register(r),
        ERROR,
        Counter.builder(name).description(help).tag("result", ERROR).register(r));
  }

  private static Timer timer(MeterRegistry r, String name, String help) {
    return Timer.builder(name).description(help).publishPercentileHistogram().register(r);
  }

  @Override
  public void prepareDone(String result, Duration duration) {
    prepareCounts.get(result).increment();
    prepareTimer.record(duration);
  }

  @Override
  public void unprepareDone(String result, Duration duration) {
    unprepareCounts.get(result).increment();
    unprepareTimer.record(duration);
  }

  @Override
  public void preparedNow(int claimCount, int deviceCount) {
    claims.set(claimCount);
    devices.set(deviceCount);
  }
}
