package dev.gpudra.core.explain;

import static dev.gpudra.core.explain.ExplainCluster.claim;
import static dev.gpudra.core.explain.ExplainCluster.request;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.allocator.Allocator;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prints how long explaining takes, against a baseline measured in the same run: a plain allocator
 * pass (build the allocator, try every node) over the same input, which is what the scheduler
 * spends on the claim anyway.
 *
 * <ul>
 *   <li>one pending claim (an H100 with 80Gi) over 1000 nodes x 8 GPUs (goal: under 50 ms), cold (a
 *       new explainer: every slice's device view is built) and warm (the explainer of a
 *       long-running controller: a new snapshot over unchanged slices, their views reused);
 *   <li>the controller's pass: 4000 pending claims from 100 distinct specs over the same cluster,
 *       cold and warm likewise.
 * </ul>
 *
 * <p>Each case prints p50 and p99 of wall time over its runs, the p50 of the thread's CPU time
 * (what the machine's load does not inflate) and the ratio of the p50s to the baseline's, then the
 * load average. The JIT is warmed up first, so "cold" means the views, not the JVM.
 *
 * <p>Run: {@code ./mvnw -B -q test-compile exec:java -pl core -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.gpudra.core.explain.ExplainBenchmark} ({@code -Dgpudra.bench.nodes}, {@code
 * -Dgpudra.bench.runs} change the size).
 */
public final class ExplainBenchmark {
  private static final int NODES = Integer.getInteger("gpudra.bench.nodes", 1000);
  private static final int RUNS = Integer.getInteger("gpudra.bench.runs", 40);
  private static final String C = "device.capacity[\"gpu.gpudra.dev\"].";
  private static final String D = "device.attributes[\"gpu.gpudra.dev\"].";
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final List<DeviceClass> CLASSES = ExplainCluster.CLASSES;

  private ExplainBenchmark() {}

  /** Wall and CPU nanoseconds of each run of a case. */
  private static final class Timings {
    final long[] wall;
    final long[] cpu;

    private Timings(long[] wall, long[] cpu) {
      this.wall = wall;
      this.cpu = cpu;
    }

    static Timings of(int runs, Runnable body) {
      long[] wall = new long[runs];
      long[] cpu = new long[runs];
      for (int i = 0; i < runs; i++) {
        long c0 = THREADS.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        body.run();
        wall[i] = System.nanoTime() - t0;
        cpu[i] = THREADS.getCurrentThreadCpuTime() - c0;
      }
      Arrays.sort(wall);
      Arrays.sort(cpu);
      return new Timings(wall, cpu);
    }

    double p50() {
      return wall[(wall.length - 1) / 2] / 1e6;
    }

    double p99() {
      return wall[(int) Math.ceil(wall.length * 0.99) - 1] / 1e6;
    }

    double cpuP50() {
      return cpu[(cpu.length - 1) / 2] / 1e6;
    }
  }

  public static void main(String[] args) {
    ExplainCluster cluster = new ExplainCluster();
    for (int i = 0; i < NODES; i++) {
      cluster.node(String.format("gpu-h100-%04d", i), "h100-8x", false);
    }
    ResourceClaim h100 =
        claim(
            "h100-80gi",
            request(
                "gpu",
                "gpu.gpudra.dev",
                1,
                C
                    + "memory.compareTo(quantity(\"80Gi\")) >= 0 && "
                    + D
                    + "productName.contains(\"H100\")"));
    List<ResourceClaim> pending = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      int spec = i % 100;
      pending.add(
          claim(
              "pending-" + i,
              request(
                  "gpu",
                  "gpu.gpudra.dev",
                  1 + spec % 9,
                  C + "memory.compareTo(quantity(\"" + (70 + spec % 20) + "Gi\")) >= 0")));
    }
    List<ResourceClaim> specs = pending.subList(0, 100);

    long first = System.nanoTime();
    Explanation one = fresh().explain(h100, cluster.nodes, cluster.slices, CLASSES, cluster.claims);
    double firstMs = (System.nanoTime() - first) / 1e6;
    System.out.println("explained: " + one.headline());
    System.out.println("  " + one.details().get(0));
    System.out.printf("first call in this JVM (classes loading, JIT cold): %.1f ms%n", firstMs);
    for (int i = 0; i < 5; i++) {
      allocateEverywhere(cluster, List.of(h100));
      fresh().explain(h100, cluster.nodes, cluster.slices, CLASSES, cluster.claims);
    }

    Timings oneBaseline = Timings.of(RUNS, () -> allocateEverywhere(cluster, List.of(h100)));
    Timings oneCold =
        Timings.of(
            RUNS / 4 + 1,
            () -> fresh().explain(h100, cluster.nodes, cluster.slices, CLASSES, cluster.claims));
    PendingClaimExplainer kept = fresh();
    kept.explain(h100, cluster.nodes, cluster.slices, CLASSES, cluster.claims);
    Timings oneWarm =
        Timings.of(
            RUNS, () -> kept.explain(h100, cluster.nodes, cluster.slices, CLASSES, cluster.claims));

    int passes = Math.max(2, RUNS / 20);
    Timings passBaseline = Timings.of(passes, () -> allocateEverywhere(cluster, specs));
    Timings passCold = Timings.of(passes, () -> explainAll(fresh(), cluster, pending));
    PendingClaimExplainer controller = fresh();
    explainAll(controller, cluster, pending);
    Timings passWarm = Timings.of(passes, () -> explainAll(controller, cluster, pending));

    System.out.printf(
        "%n%-44s %5s %13s %13s %13s %9s%n",
        "case (" + NODES + " nodes x 8 GPUs)",
        "runs",
        "p50 wall ms",
        "p99 wall ms",
        "p50 cpu ms",
        "vs base");
    print("allocator baseline: 1 claim on every node", oneBaseline, oneBaseline);
    print("explain 1 pending claim, cold (views built)", oneCold, oneBaseline);
    print("explain 1 pending claim, warm (views reused)", oneWarm, oneBaseline);
    print("allocator baseline: 100 specs on every node", passBaseline, passBaseline);
    print("explain 4000 claims/100 specs, cold", passCold, passBaseline);
    print("explain 4000 claims/100 specs, warm", passWarm, passBaseline);
    System.out.printf(
        "load average (1 min) %.2f on %d CPUs; goal: 1 claim under 50 ms%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());
  }

  /** An explainer with views of its own, as a new CLI process or a restarted controller has. */
  private static PendingClaimExplainer fresh() {
    return new PendingClaimExplainer(
        ExplainCluster.CACHE,
        AllocationBudget.DEFAULT,
        new DeviceViewCache(DeviceViewCache.DEFAULT_MAX_SLICES));
  }

  /** The controller's pass: one snapshot of the cluster, every pending claim explained on it. */
  private static void explainAll(
      PendingClaimExplainer explainer, ExplainCluster cluster, List<ResourceClaim> pending) {
    PendingClaimExplainer.Snapshot snapshot =
        explainer.snapshot(cluster.nodes, cluster.slices, CLASSES, cluster.claims);
    for (ResourceClaim claim : pending) {
      snapshot.explain(claim);
    }
  }

  /** The baseline: build an allocator and try each claim on every node, as a scheduler would. */
  private static void allocateEverywhere(ExplainCluster cluster, List<ResourceClaim> claims) {
    Allocator allocator =
        new Allocator(cluster.slices, CLASSES, cluster.claims, ExplainCluster.CACHE);
    for (ResourceClaim claim : claims) {
      for (Node node : cluster.nodes) {
        allocator.allocate(node, List.of(claim), AllocationBudget.DEFAULT);
      }
    }
  }

  private static void print(String name, Timings t, Timings baseline) {
    System.out.printf(
        "%-44s %5d %13.1f %13.1f %13.1f %9.2f%n",
        name, t.wall.length, t.p50(), t.p99(), t.cpuP50(), t.p50() / baseline.p50());
  }
}
