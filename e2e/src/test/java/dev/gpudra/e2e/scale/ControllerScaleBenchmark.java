package dev.gpudra.e2e.scale;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.E2eBinaries;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How the driver controller copes with a large cluster, on the real control plane of the e2e tests:
 * loads {@code nodes} x 8 H100 ResourceSlices, {@code claims} ResourceClaims in every state and
 * pods for them ({@link ScalePlan}), then measures, against a baseline of bare fabric8 informers
 * over the same kinds ({@link BareInformers}), each in a fresh JVM with the same options:
 *
 * <ul>
 *   <li>time from JVM start until the baseline has synced, and until the controller's {@code
 *       /metrics} show every claim by state and workload and every device by state;
 *   <li>heap in use after a full GC at that point, resident memory, CPU time used;
 *   <li>for the controller: how long after the first write its metrics show a burst of newly
 *       allocated claims, and its CPU use once the pending claims are old enough to be explained.
 * </ul>
 *
 * <p>A harness that prints a table, not a test: nothing is asserted about time. System properties
 * (defaults): {@code gpudra.scale.nodes} (1000), {@code .claims} (10000), {@code .namespaces} (5),
 * {@code .burst} (500), {@code .threads} (32, requests in flight while loading), {@code .heap}
 * ({@code 1g}, {@code -Xmx} of both JVMs), {@code .steadySeconds} (30).
 */
public final class ControllerScaleBenchmark {

  private static final Duration TIMEOUT = Duration.ofMinutes(10);
  private static final Duration EXPLAIN_PENDING_AFTER = Duration.ofMinutes(1);

  private ControllerScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    int nodes = Integer.getInteger("gpudra.scale.nodes", 1000);
    int claims = Integer.getInteger("gpudra.scale.claims", 10000);
    int namespaces = Integer.getInteger("gpudra.scale.namespaces", 5);
    int burst = Integer.getInteger("gpudra.scale.burst", 500);
    int threads = Integer.getInteger("gpudra.scale.threads", 32);
    String heap = System.getProperty("gpudra.scale.heap", "1g");
    int steadySeconds = Integer.getInteger("gpudra.scale.steadySeconds", 30);
    List<String> jvm = List.of("-Xmx" + heap);

    String stamp =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path work = ControlPlane.workBase().resolve("scale-" + stamp);
    List<String> report = new ArrayList<>();
    try (ControlPlane plane = ControlPlane.start(E2eBinaries.locate(), work)) {
      ChartDeviceClasses.apply(plane);
      NodeInventory h100 = MockNodeDiscovery.discover("h100-8x", work.resolve("mock-nvml"));
      ScalePlan plan =
          ScalePlan.of("scale", nodes, ScaleLoader.deviceNames(h100), claims, namespaces, burst);
      ScaleCounts expected = plan.expected(false);
      report.add(
          String.format(
              "gpudra driver controller at scale: %d nodes x %d GPUs (%d devices), %d claims, %d"
                  + " pods, %d namespaces; %s; %d CPUs; both JVMs -Xmx%s, Java %s",
              nodes,
              plan.deviceNames().size(),
              plan.deviceCount(),
              claims,
              plan.pods().size(),
              namespaces,
              plane.binaryVersion(),
              Runtime.getRuntime().availableProcessors(),
              heap,
              Runtime.version()));
      report.add("expected on /metrics: " + expected);

      report.add("");
      report.add(
          String.format(
              "%-30s %8s %9s %10s", "load (real API server)", "objects", "seconds", "objects/s"));
      List<ScaleLoader.Phase> phases;
      long loadStart = System.nanoTime();
      try (ScaleLoader loader = new ScaleLoader(plane.client(), plan, h100, threads)) {
        phases = new ArrayList<>(loader.load());
        long loaded = System.nanoTime();
        phases.forEach(p -> report.add(row(p)));
        int objects = phases.stream().mapToInt(ScaleLoader.Phase::objects).sum();
        report.add(
            row(new ScaleLoader.Phase("total", objects, Duration.ofNanos(loaded - loadStart))));
        print(report);

        JvmFootprint baseline =
            BareInformersProcess.measure(plane, jvm, work.resolve("bare-informers.log"), TIMEOUT);
        System.out.println("[scale] baseline synced in " + baseline.time().toMillis() + " ms");

        long start = System.nanoTime();
        try (DriverControllerProcess controller =
            DriverControllerProcess.start(
                plane,
                "default",
                jvm,
                Map.of("GPUDRA_EXPLAIN_PENDING_AFTER", EXPLAIN_PENDING_AFTER.toString()))) {
          Duration healthy = Duration.ofNanos(System.nanoTime() - start);
          Convergence convergence = new Convergence(controller, plan);
          Duration converged = convergence.await(expected, start, TIMEOUT);
          Duration cpu = JvmProbe.cpuTime(controller.pid());
          long rss = JvmProbe.residentBytes(controller.pid());
          long heapUsed = JvmProbe.heapAfterFullGc(controller.pid());
          JvmFootprint footprint = new JvmFootprint(converged, heapUsed, rss, cpu);
          System.out.println("[scale] controller converged in " + converged.toMillis() + " ms");

          long burstStart = System.nanoTime();
          ScaleLoader.Phase written = loader.allocateBurst();
          Duration reflected = convergence.await(plan.expected(true), burstStart, TIMEOUT);

          // Pending claims are explained (and Events written) once they are old enough.
          long explainFrom = loaded + EXPLAIN_PENDING_AFTER.plusSeconds(5).toNanos();
          long wait = explainFrom - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000);
          }
          Duration cpuBefore = JvmProbe.cpuTime(controller.pid());
          Map<String, Duration> threadsBefore = JvmProbe.cpuByThread(controller.pid());
          long windowStart = System.nanoTime();
          Thread.sleep(steadySeconds * 1000L);
          String busiest =
              busiestThreads(
                  threadsBefore,
                  JvmProbe.cpuByThread(controller.pid()),
                  System.nanoTime() - windowStart);
          double steadyCore =
              JvmProbe.cpuTime(controller.pid()).minus(cpuBefore).toNanos()
                  / (double) (System.nanoTime() - windowStart);
          Optional<Double> refreshAge = refreshAge(controller);

          report.add("");
          report.add(
              String.format(
                  "%-38s %14s %12s %7s",
                  "from JVM start", "bare informers", "controller", "ratio"));
          report.add(
              compare(
                  "synced (baseline) / converged (s)",
                  seconds(baseline.time()),
                  seconds(footprint.time())));
          report.add(compare("  controller /healthz 200 (s)", Double.NaN, seconds(healthy)));
          report.add(
              compare(
                  "heap after full GC (MiB)",
                  mib(baseline.heapBytes()),
                  mib(footprint.heapBytes())));
          report.add(
              compare(
                  "resident memory (MiB)",
                  mib(baseline.residentBytes()),
                  mib(footprint.residentBytes())));
          report.add(
              compare("CPU time used (s)", seconds(baseline.cpu()), seconds(footprint.cpu())));
          report.add("");
          report.add(
              String.format(
                  "burst: %d claims allocated in %.1f s (%.0f/s); the controller's /metrics showed"
                      + " all %d %.1f s after the first write",
                  written.objects(),
                  seconds(written.took()),
                  written.rate(),
                  written.objects(),
                  seconds(reflected)));
          report.add(
              String.format(
                  "steady state (pending claims older than GPUDRA_EXPLAIN_PENDING_AFTER=%s):"
                      + " controller CPU %.0f%% of one core over %d s; last metrics refresh %s ago",
                  EXPLAIN_PENDING_AFTER,
                  steadyCore * 100,
                  steadySeconds,
                  refreshAge.map(a -> String.format("%.1f s", a)).orElse("unknown")));
          report.add("  busiest threads: " + busiest);
        }
      }
    }
    System.out.println();
    print(report);
    System.exit(0);
  }

  /** The threads that used most CPU between two readings, as percent of one core. */
  private static String busiestThreads(
      Map<String, Duration> before, Map<String, Duration> after, long nanos) {
    return after.entrySet().stream()
        .map(
            e ->
                Map.entry(
                    e.getKey(), e.getValue().minus(before.getOrDefault(e.getKey(), Duration.ZERO))))
        .sorted((a, b) -> b.getValue().compareTo(a.getValue()))
        .limit(5)
        .map(e -> String.format("%s %.0f%%", e.getKey(), e.getValue().toNanos() * 100.0 / nanos))
        .collect(Collectors.joining(", "));
  }

  private static Optional<Double> refreshAge(DriverControllerProcess controller) {
    try {
      double age =
          MetricsText.scrape(controller.metricsUri())
              .value("gpudra_controller_last_refresh_age_seconds", Double.NaN);
      return Double.isNaN(age) ? Optional.empty() : Optional.of(age);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String row(ScaleLoader.Phase phase) {
    return String.format(
        "%-30s %8d %9.1f %10.0f",
        phase.what(), phase.objects(), seconds(phase.took()), phase.rate());
  }

  private static String compare(String what, double baseline, double controller) {
    return String.format(
        "%-38s %14s %12.1f %7s",
        what,
        Double.isNaN(baseline) ? "-" : String.format("%.1f", baseline),
        controller,
        Double.isNaN(baseline) ? "-" : String.format("%.2f", controller / baseline));
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  private static void print(List<String> lines) {
    lines.forEach(l -> System.out.println("[scale] " + l));
  }
}
