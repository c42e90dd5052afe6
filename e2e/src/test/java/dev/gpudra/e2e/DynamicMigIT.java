package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.MigMinors;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.plugin.PluginConfig;
import dev.gpudra.testkit.node.MockMigState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/mig-1g10gb/} applied unchanged to a fake 8x A100 node whose plugin runs with
 * dynamic MIG ({@code GPUDRA_DYNAMIC_MIG=true}): the node publishes every 1g.10gb placement of its
 * GPUs in MIG mode, the real scheduler allocates one, the plugin creates that MIG device when the
 * node agent prepares the claim, and deleting the pod destroys it again. The GPU and compute
 * instances are read from the node's mock NVML state, the MIG device's UUID through a second NVML
 * session ({@code gpudra discover}, {@link MockNodeDiscovery#discover(FakeGpuNode)}).
 */
class DynamicMigIT {

  private static final String NAMESPACE = "example-mig-1g10gb-dynamic";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  // 1g.10gb is profile id 19 on the A100 80GB; its placements are single memory slices.
  private static final Pattern PLACEMENT = Pattern.compile("gpu-(\\d+)-mig-1g10gb-19-(\\d+)");

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.inNamespace(NAMESPACE)
          .withNode("gpu-a100-dynamic", "a100-8x", Map.of(PluginConfig.DYNAMIC_MIG, "true"));

  private final KubernetesClient client = scenario.client();
  private final FakeGpuNode node = scenario.node("gpu-a100-dynamic");

  @Test
  void theSchedulersPlacementIsCreatedForThePodAndDestroyedWithIt() throws Exception {
    // The plugin owns the MIG-mode GPUs: the profile's own instances were destroyed at start.
    assertThat(MockMigState.read(node.files())).isEmpty();

    long start = System.nanoTime();
    ExampleManifests.apply(client, NAMESPACE, "mig-1g10gb", "claim-template.yaml", "pod.yaml");
    Pod pod = TestPods.awaitRunning(client, NAMESPACE, "mig-1g10gb", TIMEOUT, scenario.nodes());
    System.out.printf("[e2e] mig-1g10gb (dynamic) pod Running after %.1f s%n", seconds(start));

    assertThat(node.agent().problems()).isEmpty();
    ResourceClaim claim = PodClaims.of(client, pod).getFirst();
    List<DeviceRequestAllocationResult> results = PodClaims.results(claim);
    assertThat(results).hasSize(1);
    DeviceRequestAllocationResult result = results.getFirst();
    assertThat(result.getPool()).isEqualTo(node.name());
    Matcher placement = PLACEMENT.matcher(result.getDevice());
    assertThat(placement.matches()).as("%s is a 1g.10gb placement", result.getDevice()).isTrue();
    int gpu = Integer.parseInt(placement.group(1));
    int slice = Integer.parseInt(placement.group(2));

    // Exactly that instance exists now, with one compute instance.
    List<MockMigState.GpuInstance> instances = MockMigState.read(node.files());
    assertThat(instances).hasSize(1);
    MockMigState.GpuInstance gi = instances.getFirst();
    assertThat(gi.gpu()).isEqualTo(gpu);
    assertThat(gi.start()).isEqualTo(slice);
    assertThat(gi.size()).isEqualTo(1);
    assertThat(gi.computeInstances()).hasSize(1);
    int ci = gi.computeInstances().getFirst();

    // The container gets the parent GPU and that instance's capability nodes, and the device's
    // UUID is the one NVML reports for it.
    String claimUid = claim.getMetadata().getUid();
    MigMinors minors =
        MigMinors.parse(
            Files.readString(node.files().procRoot().resolve("driver/nvidia-caps/mig-minors")));
    assertThat(node.cdiDeviceNodePaths(claimUid))
        .contains(
            "/dev/nvidia" + gpu,
            "/dev/nvidia-caps/nvidia-cap" + minors.gpuInstance(gpu, gi.id()).getAsInt(),
            "/dev/nvidia-caps/nvidia-cap" + minors.computeInstance(gpu, gi.id(), ci).getAsInt());
    List<String> uuids =
        MockNodeDiscovery.discover(node).gpus().get(gpu).migDevices().stream()
            .map(MigDevice::uuid)
            .toList();
    assertThat(uuids).hasSize(1);
    assertThat(Files.readString(node.cdiSpec(claimUid))).contains(uuids.getFirst());
    System.out.printf(
        "[e2e] claim %s got %s: GPU instance %d, compute instance %d, %s%n",
        claim.getMetadata().getName(), result.getDevice(), gi.id(), ci, uuids.getFirst());

    long deleting = System.nanoTime();
    TestPods.deleteAndAwaitGone(client, NAMESPACE, "mig-1g10gb", TIMEOUT);
    System.out.printf(
        "[e2e] mig-1g10gb (dynamic) unprepared and gone after %.1f s%n", seconds(deleting));

    assertThat(node.cdiSpec(claimUid)).doesNotExist();
    assertThat(MockMigState.read(node.files())).isEmpty();
    assertThat(node.agent().problems()).isEmpty();
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }
}
