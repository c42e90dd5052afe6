package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.TestClaims;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.plugin.health.HealthConfig;
import dev.gpudra.testkit.nvml.MockNvmlFaults;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GPU health on the real control plane: faults raised in a fake 8x A100 node's mock NVML become
 * device taints in the slices the plugin publishes, and the real kube-scheduler and
 * kube-controller-manager act on them. A fatal XID keeps new claims off exactly that GPU (or every
 * MIG device of a MIG-mode GPU) until the GPU is reset; with {@code NoExecute} opted in, the
 * controller manager's device-taint eviction removes the pod that uses the GPU.
 *
 * <p>The profile: GPUs 0-2 in MIG mode with instances, 3-7 whole. Each test uses GPUs of its own,
 * so the order of tests does not matter.
 */
class GpuHealthTaintsIT {

  private static final String NAMESPACE = "gpu-health";
  private static final String NODE = "health-a100";
  private static final String EVICTING_NODE = "health-a100-noexecute";
  private static final String XID_KEY = "gpu.gpudra.dev/xid";
  private static final String GPU_CLASS = "gpu.gpudra.dev";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  /** A graphics engine exception that needs a GPU reset: fatal, in every XID catalog. */
  private static final int FATAL_XID = 79;

  /** Probing every second finds a reset GPU soon after it answers again. */
  private static final Map<String, String> FAST_PROBES = Map.of(HealthConfig.CHECK_INTERVAL, "1");

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.inNamespace(NAMESPACE)
          .withNode(NODE, "a100-8x", FAST_PROBES)
          .withNode(
              EVICTING_NODE,
              "a100-8x",
              Map.of(HealthConfig.CHECK_INTERVAL, "1", HealthConfig.TAINT_EFFECT, "NoExecute"));

  private final KubernetesClient client = scenario.client();

  @Test
  void fatalXidKeepsNewClaimsOffThatGpuUntilItIsResetThenItIsAllocatedAgain() {
    FakeGpuNode node = scenario.node(NODE);
    MockNvmlFaults faults = MockNvmlFaults.forState(node.files().nvmlStateFile());
    Map<String, List<DeviceTaint>> before = taintsByDevice(node);
    assertThat(before.get("gpu-4")).isEmpty();
    assertThat(before.get("gpu-5")).isEmpty();

    long injected = System.nanoTime();
    faults.xid(4, FATAL_XID);
    await("XID taint on gpu-4")
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> hasTaint(node, "gpu-4", XID_KEY));
    System.out.printf(
        "[e2e] XID %d on GPU 4 to NoSchedule taint on the API server: %d ms%n",
        FATAL_XID, millisSince(injected));

    // Exactly that device changed; its taint names the XID.
    Map<String, List<DeviceTaint>> after = taintsByDevice(node);
    DeviceTaint taint = after.get("gpu-4").getFirst();
    assertThat(taint.getValue()).isEqualTo(Integer.toString(FATAL_XID));
    assertThat(taint.getEffect()).isEqualTo("NoSchedule");
    after.remove("gpu-4");
    before.remove("gpu-4");
    assertThat(after).isEqualTo(before);

    // Of the two GPUs the claims may use, the scheduler takes the healthy one...
    String gpus = uuidsOf(node, 4, 5);
    createClaimAndPod("after-xid", gpus);
    Pod first = TestPods.awaitRunning(client, NAMESPACE, "after-xid", TIMEOUT, scenario.nodes());
    assertThat(allocatedDevice(first)).isEqualTo("gpu-5");

    // ...and a second claim waits: the tainted GPU is the only one left.
    createClaimAndPod("waits-for-reset", gpus);
    PodCondition waiting = awaitUnschedulable("waits-for-reset");
    System.out.println("[e2e] second pod waits with: " + waiting.getMessage());

    // A reset: the GPU drops off the bus and answers again; the taint goes with no restart.
    faults.lose(4);
    await("gpu-lost taint on gpu-4")
        .atMost(TIMEOUT)
        .until(() -> hasTaint(node, "gpu-4", "gpu.gpudra.dev/gpu-lost"));
    long back = System.nanoTime();
    faults.bringBack(4);
    await("gpu-4 untainted").atMost(TIMEOUT).until(() -> taints(node, "gpu-4").isEmpty());
    System.out.printf("[e2e] GPU 4 back to untainted after its reset: %d ms%n", millisSince(back));

    Pod second =
        TestPods.awaitRunning(client, NAMESPACE, "waits-for-reset", TIMEOUT, scenario.nodes());
    assertThat(node.agent().problems()).isEmpty();
    assertThat(allocatedDevice(second)).isEqualTo("gpu-4");
    System.out.printf("[e2e] GPU 4 allocated again %d ms after it came back%n", millisSince(back));
  }

  @Test
  void fatalXidOfAMigModeGpuTaintsEachOfItsMigDevicesAndNothingElse() {
    FakeGpuNode node = scenario.node(NODE);
    MockNvmlFaults faults = MockNvmlFaults.forState(node.files().nvmlStateFile());
    Map<String, List<DeviceTaint>> before = taintsByDevice(node);
    List<String> migOfGpu0 =
        before.keySet().stream().filter(n -> n.startsWith("gpu-0-mig-")).sorted().toList();
    assertThat(migOfGpu0).isNotEmpty();

    long injected = System.nanoTime();
    faults.xid(0, FATAL_XID);
    await("XID taint on every MIG device of GPU 0")
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> migOfGpu0.stream().allMatch(d -> hasTaint(node, d, XID_KEY)));
    System.out.printf(
        "[e2e] XID %d on MIG-mode GPU 0 to taints on its %d MIG devices: %d ms%n",
        FATAL_XID, migOfGpu0.size(), millisSince(injected));

    Map<String, List<DeviceTaint>> after = taintsByDevice(node);
    for (String mig : migOfGpu0) {
      assertThat(after.get(mig))
          .as(mig)
          .singleElement()
          .satisfies(
              t -> {
                assertThat(t.getKey()).isEqualTo(XID_KEY);
                assertThat(t.getEffect()).isEqualTo("NoSchedule");
              });
      after.remove(mig);
      before.remove(mig);
    }
    assertThat(after).isEqualTo(before);
  }

  @Test
  void withNoExecuteTheControllerManagerEvictsThePodUsingTheFailedGpu() {
    FakeGpuNode node = scenario.node(EVICTING_NODE);
    MockNvmlFaults faults = MockNvmlFaults.forState(node.files().nvmlStateFile());
    createClaimAndPod("evicted", uuidsOf(node, 6), EVICTING_NODE);
    Pod pod = TestPods.awaitRunning(client, NAMESPACE, "evicted", TIMEOUT, scenario.nodes());
    assertThat(allocatedDevice(pod)).isEqualTo("gpu-6");

    List<PodCondition> disruptions = new CopyOnWriteArrayList<>();
    Watch watch =
        client.pods().inNamespace(NAMESPACE).withName("evicted").watch(disruptionsTo(disruptions));
    try {
      long injected = System.nanoTime();
      faults.xid(6, FATAL_XID);
      await("NoExecute taint on gpu-6")
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> hasTaint(node, "gpu-6", XID_KEY));
      System.out.printf(
          "[e2e] XID %d on GPU 6 to NoExecute taint: %d ms%n", FATAL_XID, millisSince(injected));
      assertThat(taints(node, "gpu-6").getFirst().getEffect()).isEqualTo("NoExecute");

      await("eviction of the pod on gpu-6")
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofMillis(250))
          .until(() -> client.pods().inNamespace(NAMESPACE).withName("evicted").get() == null);
      System.out.printf(
          "[e2e] pod on GPU 6 evicted and gone %d ms after the XID%n", millisSince(injected));
    } finally {
      watch.close();
    }
    assertThat(disruptions)
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("DeletionByDeviceTaintManager"));
    assertThat(node.agent().problems()).isEmpty();
  }

  /** Records every {@code DisruptionTarget=True} condition the pod is seen with. */
  private static Watcher<Pod> disruptionsTo(List<PodCondition> sink) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
          return;
        }
        pod.getStatus().getConditions().stream()
            .filter(c -> "DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus()))
            .forEach(sink::add);
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }

  private void createClaimAndPod(String name, String uuids) {
    createClaimAndPod(name, uuids, NODE);
  }

  /**
   * Claim {@code name} for one whole GPU among {@code uuids} and a pod on {@code node} using it.
   */
  private void createClaimAndPod(String name, String uuids, String node) {
    String cel = "device.attributes[\"gpu.gpudra.dev\"].uuid in [" + uuids + "]";
    client
        .resource(TestClaims.exactly(name, "gpu", GPU_CLASS, Optional.of(cel), 1))
        .inNamespace(NAMESPACE)
        .create();
    client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(TestPods.usingClaim(name, "gpu", name, Optional.of(node)))
        .create();
  }

  private PodCondition awaitUnschedulable(String pod) {
    return TestPods.awaitUnschedulable(client, NAMESPACE, pod, TIMEOUT);
  }

  private String allocatedDevice(Pod pod) {
    assertThat(pod.getStatus().getPhase())
        .as("phase of %s", pod.getMetadata().getName())
        .isEqualTo("Running");
    return PodClaims.results(TestPods.onlyClaim(client, pod)).getFirst().getDevice();
  }

  /** The CEL list of the UUIDs of {@code node}'s GPUs {@code indexes}. */
  private static String uuidsOf(FakeGpuNode node, int... indexes) {
    Map<Integer, String> uuids = node.files().gpuUuids();
    return java.util.Arrays.stream(indexes)
        .mapToObj(i -> "\"" + uuids.get(i) + "\"")
        .collect(Collectors.joining(", "));
  }

  private static boolean hasTaint(FakeGpuNode node, String device, String key) {
    return taints(node, device).stream().anyMatch(t -> key.equals(t.getKey()));
  }

  private static List<DeviceTaint> taints(FakeGpuNode node, String device) {
    return node.publishedDevices().stream()
        .filter(d -> device.equals(d.getName()))
        .findFirst()
        .map(GpuHealthTaintsIT::taints)
        .orElseThrow(() -> new AssertionError(node.name() + " publishes no " + device));
  }

  private static List<DeviceTaint> taints(Device device) {
    return device.getTaints() == null ? List.of() : device.getTaints();
  }

  /** Every published device of {@code node} with its taints (empty when it has none). */
  private static Map<String, List<DeviceTaint>> taintsByDevice(FakeGpuNode node) {
    return node.publishedDevices().stream()
        .collect(
            Collectors.toMap(
                Device::getName, GpuHealthTaintsIT::taints, (a, b) -> a, java.util.HashMap::new));
  }

  private static long millisSince(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
  }
}
