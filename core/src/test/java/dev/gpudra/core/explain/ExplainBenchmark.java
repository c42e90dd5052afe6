package dev.gpudra.core.explain;

import static dev.gpudra.core.explain.ExplainCluster.claim;
import static dev.gpudra.core.explain.ExplainCluster.request;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.allocator.Allocator;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints how long explaining takes, against a baseline measured in the same run: a plain allocator
 * pass (build the allocator, try every node) over the same input, which is what the scheduler
 * spends on the claim anyway.
 *
 * <ul>
 *   <li>one pending claim (an H100 with 80Gi) over 1000 nodes x 8 GPUs (goal: under 50 ms);
 *   <li>the controller's pass: 4000 pending claims from 100 distinct specs over the same cluster.
 * </ul>
 *
 * <p>Run: {@code ./mvnw -B -q test-compile exec:java -pl core -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.gpudra.core.explain.ExplainBenchmark}
 */
public final class ExplainBenchmark {
  private static final int NODES = Integer.getInteger("gpudra.bench.nodes", 1000);
  private static final int ROUNDS = Integer.getInteger("gpudra.bench.rounds", 5);
  private static final String C = "device.capacity[\"gpu.gpudra.dev\"].";
  private static final String D = "device.attributes[\"gpu.gpudra.dev\"].";

  private ExplainBenchmark() {}

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
    System.out.printf(
        "%-46s %12s %12s %8s%n",
        "case (" + NODES + " nodes x 8 GPUs)", "baseline ms", "explain ms", "ratio");
    for (int round = 0; round < ROUNDS; round++) {
      long t0 = System.nanoTime();
      allocateEverywhere(cluster, List.of(h100));
      long t1 = System.nanoTime();
      Explanation one = cluster.explain(h100);
      long t2 = System.nanoTime();
      print("one pending claim, round " + round, t1 - t0, t2 - t1);
      if (round == 0) {
        System.out.println("  " + one.details().get(0));
      }
    }
    for (int round = 0; round < Math.min(ROUNDS, 2); round++) {
      long t0 = System.nanoTime();
      allocateEverywhere(cluster, pending.subList(0, 100));
      long t1 = System.nanoTime();
      PendingClaimExplainer.Snapshot snapshot =
          new PendingClaimExplainer(ExplainCluster.CACHE, AllocationBudget.DEFAULT)
              .snapshot(cluster.nodes, cluster.slices, ExplainCluster.CLASSES, cluster.claims);
      for (ResourceClaim claim : pending) {
        snapshot.explain(claim);
      }
      long t2 = System.nanoTime();
      print("4000 pending claims, 100 specs, round " + round, t1 - t0, t2 - t1);
    }
  }

  /** The baseline: build an allocator and try each claim on every node, as a scheduler would. */
  private static void allocateEverywhere(ExplainCluster cluster, List<ResourceClaim> claims) {
    Allocator allocator =
        new Allocator(cluster.slices, ExplainCluster.CLASSES, cluster.claims, ExplainCluster.CACHE);
    for (ResourceClaim claim : claims) {
      for (Node node : cluster.nodes) {
        allocator.allocate(node, List.of(claim), AllocationBudget.DEFAULT);
      }
    }
  }

  private static void print(String name, long baselineNanos, long explainNanos) {
    System.out.printf(
        "%-46s %12.1f %12.1f %8.2f%n",
        name, baselineNanos / 1e6, explainNanos / 1e6, (double) explainNanos / baselineNanos);
  }
}
