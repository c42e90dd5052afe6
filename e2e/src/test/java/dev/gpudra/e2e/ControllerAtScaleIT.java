package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.e2e.scale.Convergence;
import dev.gpudra.e2e.scale.MetricsText;
import dev.gpudra.e2e.scale.ScaleCounts;
import dev.gpudra.e2e.scale.ScaleLoader;
import dev.gpudra.e2e.scale.ScalePlan;
import dev.gpudra.e2e.scale.ScalePlan.PlannedClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scale benchmark's load, small: 20 nodes with 8 H100s each (slices as the plugin publishes
 * them), 200 claims in every state, workload and request shape over 4 namespaces, pods for the
 * reserved and Batch claims. The driver controller started afterwards must count exactly that, per
 * state, workload and node, and then count a burst of newly allocated claims. Counts only: the
 * timings are the benchmark's ({@code -Pscale-bench}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControllerAtScaleIT {

  private static final Duration CONVERGE_TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension static final GpuScenario scenario = GpuScenario.withoutNamespace();

  private KubernetesClient client;
  private ScalePlan plan;
  private ScaleLoader loader;
  private DriverControllerProcess controller;
  private Convergence convergence;

  @BeforeAll
  void loadTheClusterAndStartTheController() {
    client = scenario.client();
    NodeInventory h100 =
        MockNodeDiscovery.discover("h100-8x", scenario.plane().workDir().resolve("mock-nvml"));
    plan = ScalePlan.of("atscale", 20, ScaleLoader.deviceNames(h100), 200, 4, 10);
    loader = scenario.closeAfterAll(new ScaleLoader(client, plan, h100, 8));
    loader
        .load()
        .forEach(
            p ->
                System.out.printf(
                    "[e2e] loaded %d %s in %d ms%n", p.objects(), p.what(), p.took().toMillis()));
    controller =
        scenario.closeAfterAll(
            DriverControllerProcess.start(scenario.plane(), plan.namespaces().getFirst()));
    convergence = new Convergence(controller, plan);
    plan.namespaces().forEach(scenario::removeAfterAll);
    // Slices go with their Node (owner reference).
    scenario.closeAfterAll(() -> plan.nodes().forEach(n -> client.nodes().withName(n).delete()));
  }

  @Test
  void countsEveryClaimByStateAndWorkloadAndEveryDeviceByStateThenABurstOfAllocations()
      throws IOException {
    ScaleCounts before = plan.expected(false);
    // The plan itself covers every state and workload, so the check below can fail on each.
    assertThat(before.claimsByState().keySet())
        .containsExactlyInAnyOrder("allocated", "pending", "reserved");
    assertThat(before.claimsByWorkload().keySet())
        .containsExactlyInAnyOrder("agent", "aws-batch", "other");
    assertThat(before.devicesByState().keySet()).containsExactlyInAnyOrder("allocated", "free");

    convergence.await(before, System.nanoTime(), CONVERGE_TIMEOUT);
    assertThat(convergence.scrape()).isEqualTo(before);
    assertThat(devicesByNode()).isEqualTo(plannedDevicesByNode(plan.claims().stream()));

    loader.allocateBurst();
    ScaleCounts after = plan.expected(true);
    assertThat(after.devicesByState().get("allocated"))
        .isEqualTo(before.devicesByState().get("allocated") + plan.burst().size());
    convergence.await(after, System.nanoTime(), CONVERGE_TIMEOUT);
    assertThat(devicesByNode())
        .isEqualTo(
            plannedDevicesByNode(Stream.concat(plan.claims().stream(), plan.burst().stream())));
  }

  /** {@code node/state -> count} from the controller's gpudra_devices, for the plan's nodes. */
  private Map<String, Long> devicesByNode() throws IOException {
    Map<String, Long> counts = new TreeMap<>();
    for (MetricsText.Sample sample :
        MetricsText.scrape(controller.metricsUri()).samples("gpudra_devices")) {
      String node = sample.labels().get("node");
      if (plan.nodes().contains(node) && sample.value() > 0) {
        counts.merge(
            node + "/" + sample.labels().get("state"), Math.round(sample.value()), Long::sum);
      }
    }
    return counts;
  }

  /** The same, from the plan: each node's allocated devices, the rest of its devices free. */
  private Map<String, Long> plannedDevicesByNode(Stream<PlannedClaim> claims) {
    Map<String, Long> allocated = new TreeMap<>();
    claims
        .flatMap(c -> c.devices().stream())
        .forEach(d -> allocated.merge(d.node(), 1L, Long::sum));
    Map<String, Long> counts = new TreeMap<>();
    for (String node : plan.nodes()) {
      long taken = allocated.getOrDefault(node, 0L);
      if (taken > 0) {
        counts.put(node + "/allocated", taken);
      }
      if (taken < plan.deviceNames().size()) {
        counts.put(node + "/free", plan.deviceNames().size() - taken);
      }
    }
    return counts;
  }
}
