package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.slice.DeviceNames;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.RealNodeScenario;
import dev.gpudra.e2e.realnode.PrintingWorkload.DeviceNode;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockProfile;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/time-slicing} on a real node (one L4) with TimeSlicing among the chart's sharing
 * strategies: both pods of the claim see the same GPU device node, and the GPU's time slice, as the
 * driver's {@code nvidia-smi} (the test kit's mock, in the node's driver root) recorded it on the
 * node, is Long while the claim is prepared and Default again once both pods are gone and the
 * kubelet has unprepared the claim.
 */
class RealNodeTimeSlicingIT {

  private static final String NAMESPACE = "real-time-slicing";
  private static final String NODE = "slicing-l4-1x";
  private static final String PROFILE = "l4-1x";
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final Pattern GPU_NODE = Pattern.compile("/dev/nvidia\\d+");
  private static final int LONG = 3;
  private static final int DEFAULT = 0;

  @RegisterExtension
  static final RealNodeScenario scenario =
      RealNodeScenario.withNode(NODE, PROFILE)
          .withDriver(
              "kubeletPlugin.sharingStrategies[0]=Exclusive",
              "kubeletPlugin.sharingStrategies[1]=TimeSlicing");

  @Test
  void bothPodsSeeTheGpuWhoseTimeSliceIsLongUntilTheClaimIsUnprepared(
      KubernetesClient client, RealNodes nodes) throws IOException {
    Namespaces.create(client, NAMESPACE);
    Path tools = toolsState(nodes.node(NODE));
    try {
      ExampleManifests.apply(
          client, NAMESPACE, "time-slicing", PrintingWorkload::adapt, "claim.yaml", "pods.yaml");
      List<Pod> pods =
          Poll.until(
              "both time-sliced pods running and printed",
              TIMEOUT,
              Duration.ofSeconds(1),
              () -> client.pods().inNamespace(NAMESPACE).list().getItems(),
              list ->
                  list.size() == 2
                      && list.stream().allMatch(p -> PrintingWorkload.printed(client, p)));
      ResourceClaim claim =
          client
              .resources(ResourceClaim.class)
              .inNamespace(NAMESPACE)
              .withName("time-sliced-gpu")
              .get();
      DeviceRequestAllocationResult result = PodClaims.results(claim).getFirst();
      int minor =
          DeviceNames.parse(result.getDevice())
              .orElseThrow(() -> new AssertionError("not a gpudra device: " + result.getDevice()))
              .minor();
      String uuid =
          MockNvml.load(PROFILE).gpus().stream()
              .filter(g -> g.minor() == minor)
              .map(MockProfile.Gpu::uuid)
              .findFirst()
              .orElseThrow();
      for (Pod pod : pods) {
        String name = pod.getMetadata().getName();
        List<DeviceNode> gpus =
            PrintingWorkload.devices(client.pods().inNamespace(NAMESPACE).withName(name).getLog())
                .stream()
                .filter(d -> GPU_NODE.matcher(d.path()).matches())
                .toList();
        System.out.printf("[e2e] %s sees %s%n", name, gpus);
        assertThat(gpus)
            .as("GPU device nodes of " + name)
            .containsExactly(new DeviceNode("/dev/nvidia" + minor, 195, minor));
      }
      MockTools.State prepared = MockTools.read(tools);
      System.out.printf(
          "[e2e] claim time-sliced-gpu holds %s (%s); nvidia-smi on %s recorded: %s%n",
          result.getDevice(), uuid, NODE, MockTools.log(tools));
      assertThat(prepared.timeSlice(uuid)).as("time slice of " + uuid).isEqualTo(LONG);

      client.pods().inNamespace(NAMESPACE).delete();
      MockTools.State restored =
          Poll.until(
              "time slice of " + uuid + " restored after the pods are gone",
              TIMEOUT,
              Duration.ofMillis(500),
              () -> MockTools.read(tools),
              s -> s.timeSlice(uuid) == DEFAULT && s.timeSlices().containsKey(uuid));
      System.out.printf(
          "[e2e] after both pods are gone nvidia-smi on %s recorded: %s%n",
          NODE, MockTools.log(tools));
      assertThat(restored.timeSlice(uuid)).isEqualTo(DEFAULT);
      assertThat(MockTools.log(tools))
          .containsSubsequence(
              "nvidia-smi compute-policy -i " + uuid + " --set-timeslice " + LONG,
              "nvidia-smi compute-policy -i " + uuid + " --set-timeslice " + DEFAULT);
    } finally {
      Namespaces.deleteAndAwaitGone(client, NAMESPACE, TIMEOUT);
    }
  }

  /** The mock {@code nvidia-smi}'s state on the node: beside the plugin's mock NVML state. */
  private static Path toolsState(RealNode node) {
    Path nvml = node.mockNvmlStateFile();
    return nvml.resolveSibling(nvml.getFileName() + ".tools");
  }
}
