package dev.gpudra.plugin.bench;

import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Prepare latency of sharing against an exclusive claim, on one plugin in one run: what a
 * fractional share costs when its GPU's MPS control daemon already runs (another share holds it),
 * and when the prepare must start the daemon (set the compute mode, start it, wait for its pid
 * file). Samples alternate between the three kinds so that the machine's load falls on all alike.
 */
final class SharingLatency {

  private static final int SAMPLES = 60;
  private static final String EXCLUSIVE_GPU = "gpu-7";
  private static final String RUNNING_GPU = "gpu-3";
  private static final String STARTING_GPU = "gpu-5";

  /** The three kinds' latencies in nanoseconds. */
  record Result(List<Long> exclusive, List<Long> daemonRunning, List<Long> daemonStarting) {

    /** Prints the table with each kind's ratio to the exclusive claim. */
    void print() {
      System.out.println();
      System.out.println(
          "Prepare latency of sharing (gRPC to the plugin JVM): a fractional share whose GPU's MPS"
              + " daemon runs, and one whose daemon the prepare starts");
      System.out.printf(
          Locale.ROOT,
          "%-34s %8s %9s %9s %9s %9s %9s%n",
          "scenario",
          "samples",
          "p50 ms",
          "p99 ms",
          "max ms",
          "p50 xexcl",
          "p99 xexcl");
      row("exclusive GPU", exclusive);
      row("share, daemon already running", daemonRunning);
      row("share, daemon started by prepare", daemonStarting);
    }

    private void row(String name, List<Long> nanos) {
      List<Long> sorted = nanos.stream().sorted().toList();
      List<Long> base = exclusive.stream().sorted().toList();
      System.out.printf(
          Locale.ROOT,
          "%-34s %8d %9.2f %9.2f %9.2f %9.2f %9.2f%n",
          name,
          sorted.size(),
          PrepareLatencyBenchmark.percentile(sorted, 0.50) / 1e6,
          PrepareLatencyBenchmark.percentile(sorted, 0.99) / 1e6,
          sorted.get(sorted.size() - 1) / 1e6,
          (double) PrepareLatencyBenchmark.percentile(sorted, 0.50)
              / PrepareLatencyBenchmark.percentile(base, 0.50),
          (double) PrepareLatencyBenchmark.percentile(sorted, 0.99)
              / PrepareLatencyBenchmark.percentile(base, 0.99));
    }
  }

  private SharingLatency() {}

  /**
   * Measures the three kinds.
   *
   * @param prepare prepares one claim and returns the call's latency
   * @param unprepare unprepares claims
   */
  static Result measure(
      ToLongFunction<PodClaim> prepare,
      Consumer<List<PodClaim>> unprepare,
      Claims claims,
      String node) {
    // Holds gpu-3's daemon for the whole run.
    PodClaim anchor = share(claims, "anchor", node, RUNNING_GPU);
    long anchored = prepare.applyAsLong(anchor);
    System.out.printf(
        Locale.ROOT, "anchor share prepared in %.2f ms (starting its daemon)%n", anchored / 1e6);
    List<Long> exclusive = new ArrayList<>();
    List<Long> running = new ArrayList<>();
    List<Long> starting = new ArrayList<>();
    try {
      for (int i = 0; i < SAMPLES; i++) {
        PodClaim whole =
            claims.allocated(
                "excl-" + i, List.of(Claims.result("gpu", node, EXCLUSIVE_GPU, false)), List.of());
        exclusive.add(prepare.applyAsLong(whole));
        unprepare.accept(List.of(whole));
        PodClaim shared = share(claims, "running-" + i, node, RUNNING_GPU);
        running.add(prepare.applyAsLong(shared));
        unprepare.accept(List.of(shared));
        PodClaim first = share(claims, "starting-" + i, node, STARTING_GPU);
        starting.add(prepare.applyAsLong(first));
        // The last claim of gpu-5 leaves: its daemon stops, the next sample starts it again.
        unprepare.accept(List.of(first));
      }
    } finally {
      unprepare.accept(List.of(anchor));
    }
    return new Result(exclusive, running, starting);
  }

  private static PodClaim share(Claims claims, String name, String node, String device) {
    DeviceRequestAllocationResult result = Claims.result("gpu", node, device, false);
    result.setShareID(UUID.randomUUID().toString());
    Map<String, Quantity> consumed = new LinkedHashMap<>();
    consumed.put("memory", new Quantity("8Gi"));
    consumed.put("cores", new Quantity("10"));
    result.setConsumedCapacity(consumed);
    return claims.allocated(name, List.of(result), List.of());
  }
}
