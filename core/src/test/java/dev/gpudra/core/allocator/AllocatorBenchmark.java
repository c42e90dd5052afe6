package dev.gpudra.core.allocator;

import static dev.gpudra.core.allocator.Fixtures.claim;
import static dev.gpudra.core.allocator.Fixtures.deviceClass;
import static dev.gpudra.core.allocator.Fixtures.exactly;

import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceConstraint;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prints per-claim allocation times of the Java allocator and of Kubernetes' (through the oracle)
 * on identical inputs: 500 nodes with 8 GPUs each, with and without MIG placements, empty and 90%
 * full. "allocate" is one allocation on one node with a prepared allocator; "build+allocate" also
 * prepares the allocator from the whole cluster, as the scheduler does once per pod.
 *
 * <p>Run: {@code ./mvnw -B -q test-compile exec:java -pl core -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.gpudra.core.allocator.AllocatorBenchmark}
 */
public final class AllocatorBenchmark {
  private static final int NODES = Integer.getInteger("gpudra.bench.nodes", 500);
  private static final int ITERATIONS = Integer.getInteger("gpudra.bench.iterations", 500);
  private static final int ROUNDS = Integer.getInteger("gpudra.bench.rounds", 5);
  private static final String TYPE = "device.attributes[\"gpu.gpudra.dev\"].type";

  private AllocatorBenchmark() {}

  record Case(String name, boolean mig, boolean full, ResourceClaim claim) {}

  public static void main(String[] args) throws Exception {
    List<DeviceClass> classes =
        List.of(
            deviceClass(
                "gpu.gpudra.dev", "device.driver == \"gpu.gpudra.dev\" && " + TYPE + " == \"gpu\""),
            deviceClass(
                "mig.gpudra.dev",
                "device.driver == \"gpu.gpudra.dev\" && " + TYPE + " == \"mig\""));
    List<Case> cases = new ArrayList<>();
    for (boolean mig : new boolean[] {false, true}) {
      for (boolean full : new boolean[] {false, true}) {
        cases.add(
            new Case("1 GPU", mig, full, claim("c", exactly("gpu", "gpu.gpudra.dev", 1)).build()));
        cases.add(
            new Case(
                "1 GPU, CEL memory+product",
                mig,
                full,
                claim(
                        "c",
                        exactly(
                            "gpu",
                            "gpu.gpudra.dev",
                            1,
                            "device.capacity[\"gpu.gpudra.dev\"].memory.compareTo(quantity(\"40Gi\")) >= 0"
                                + " && device.attributes[\"gpu.gpudra.dev\"].productName.startsWith(\"NVIDIA A100\")"))
                    .build()));
        DeviceConstraint sameRoot = new DeviceConstraint();
        sameRoot.setMatchAttribute("resource.kubernetes.io/pcieRoot");
        ResourceClaim pair = claim("c", exactly("gpus", "gpu.gpudra.dev", 2)).build();
        pair.getSpec().getDevices().setConstraints(List.of(sameRoot));
        cases.add(new Case("2 GPUs, matchAttribute", mig, full, pair));
        if (mig) {
          cases.add(
              new Case(
                  "MIG 1g.10gb",
                  true,
                  full,
                  claim(
                          "c",
                          exactly(
                              "mig",
                              "mig.gpudra.dev",
                              1,
                              "device.attributes[\"gpu.gpudra.dev\"].profile == \"1g.10gb\""))
                      .build()));
        }
      }
    }
    List<ResourceSlice> plain = BenchmarkCluster.slices(NODES, false);
    List<ResourceSlice> withMig = BenchmarkCluster.slices(NODES, true);
    Node node = Fixtures.node("node-0");
    List<Scenario> scenarios = new ArrayList<>();
    for (Case c : cases) {
      scenarios.add(
          new Scenario(
              c.name(), node, c.mig() ? withMig : plain, classes, held(c), List.of(c.claim())));
    }
    var mapper = JsonMapper.builder().build();
    // The machine may be shared: every figure is the best of ROUNDS rounds, which filters out
    // interference without flattering either side.
    List<Scenario> goRuns = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      goRuns.addAll(scenarios);
    }
    List<JsonNode> upstream = OracleClient.build(mapper).timed(goRuns, ITERATIONS);
    SelectorCache cache = new SelectorCache(SelectorEnvironment.create(), 64);
    VerdictComparison comparison = new VerdictComparison(mapper);
    double[][] java = new double[cases.size()][2];
    AllocationOutcome[] outcomes = new AllocationOutcome[cases.size()];
    for (int round = -1; round < ROUNDS; round++) {
      for (int i = 0; i < cases.size(); i++) {
        Scenario s = scenarios.get(i);
        // Held devices are accounted once, outside the timings, as the oracle does for upstream.
        AllocatedDevices held = new AllocatedDevices(s.allocatedClaims());
        Allocator allocator = new Allocator(s.slices(), s.classes(), held, cache);
        long start = System.nanoTime();
        for (int r = 0; r < ITERATIONS; r++) {
          outcomes[i] = allocator.allocate(node, s.claims(), AllocationBudget.DEFAULT);
        }
        double allocate = (System.nanoTime() - start) / 1e3 / ITERATIONS;
        start = System.nanoTime();
        for (int r = 0; r < ITERATIONS; r++) {
          new Allocator(s.slices(), s.classes(), held, cache)
              .allocate(node, s.claims(), AllocationBudget.DEFAULT);
        }
        double build = (System.nanoTime() - start) / 1e3 / ITERATIONS;
        if (round == 0) {
          java[i] = new double[] {allocate, build};
        } else if (round > 0) {
          java[i] = new double[] {Math.min(java[i][0], allocate), Math.min(java[i][1], build)};
        }
      }
    }
    System.out.printf(
        "%d nodes x %d GPUs; best of %d rounds of %d iterations; microseconds per claim on one"
            + " node%n",
        NODES, BenchmarkCluster.GPUS_PER_NODE, ROUNDS, ITERATIONS);
    System.out.printf(
        "%-27s %-4s %-5s %-13s | %9s %9s %6s | %9s %9s %6s | %s%n",
        "case",
        "mig",
        "fill",
        "outcome",
        "java",
        "go",
        "j/go",
        "java b+a",
        "go b+a",
        "j/go",
        "agree");
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      double goAllocate = Double.MAX_VALUE;
      double goBuild = Double.MAX_VALUE;
      for (int round = 0; round < ROUNDS; round++) {
        JsonNode v = upstream.get(round * cases.size() + i);
        goAllocate = Math.min(goAllocate, v.path("allocateNanos").asLong() / 1e3);
        goBuild = Math.min(goBuild, v.path("buildAndAllocateNanos").asLong() / 1e3);
      }
      System.out.printf(
          "%-27s %-4s %-5s %-13s | %9.1f %9.1f %6.2f | %9.1f %9.1f %6.2f | %s%n",
          c.name(),
          c.mig() ? "yes" : "no",
          c.full() ? "90%" : "empty",
          upstream.get(i).path("outcome").asString(),
          java[i][0],
          goAllocate,
          java[i][0] / goAllocate,
          java[i][1],
          goBuild,
          java[i][1] / goBuild,
          comparison.difference(outcomes[i], upstream.get(i)) == null ? "yes" : "NO");
    }
  }

  /**
   * 90% of the cluster's GPUs held: on node-0 GPUs 0-5 (plain) or 0-6 plus two MIG slices of GPU 7
   * (MIG); elsewhere 7 of 8 GPUs on four nodes in five and all 8 on the fifth.
   */
  private static List<ResourceClaim> held(Case c) {
    if (!c.full()) {
      return List.of();
    }
    List<ResourceClaim> out = new ArrayList<>();
    for (int n = 0; n < NODES; n++) {
      List<String> devices = new ArrayList<>();
      int gpus = n == 0 ? (c.mig() ? 7 : 6) : (n % 5 == 0 ? 8 : 7);
      for (int g = 0; g < gpus; g++) {
        devices.add("gpu-" + g);
      }
      if (n == 0 && c.mig()) {
        devices.add("gpu-7-mig-2g.20gb-0");
        devices.add("gpu-7-mig-3g.40gb-1");
      }
      out.addAll(BenchmarkCluster.holding("node-" + n, devices));
    }
    return out;
  }
}
