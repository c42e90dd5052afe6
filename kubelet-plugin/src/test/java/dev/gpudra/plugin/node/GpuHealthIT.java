package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.proto.health.v1alpha1.DeviceHealth;
import dev.gpudra.proto.health.v1alpha1.HealthStatus;
import dev.gpudra.proto.health.v1alpha1.NodeWatchResourcesResponse;
import dev.gpudra.testkit.kubelet.HealthWatch;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.RegisteredPlugin;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import dev.gpudra.testkit.nvml.MockNvmlFaults;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin process on a fake A100 node ({@code a100-8x}: GPUs 0-2 in MIG mode, 3-7 whole) with
 * faults raised in the mock NVML library: XIDs and lost GPUs become device taints in the published
 * slices and health states in both versions of the kubelet's health stream, and go away on
 * recovery. Each test uses GPUs of its own, so they share one plugin.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnableKubernetesMockClient(crud = true, https = false)
class GpuHealthIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  static KubernetesClient client;

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
  static Path root;

  private PluginProcess plugin;
  private KubeletEmulator kubelet;
  private RegisteredPlugin registered;
  private MockNvmlFaults faults;

  @BeforeAll
  void startPlugin() throws IOException {
    FakeNode node = FakeNode.create(root, "node-a", "a100-8x");
    Map<String, String> env = new java.util.HashMap<>(node.env(client.getMasterUrl().toString()));
    env.put("GPUDRA_HEALTH_CHECK_INTERVAL_SECONDS", "1");
    env.put("GPUDRA_HEALTH_RECOVERY_QUIET_PERIOD_SECONDS", "600");
    plugin = PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    kubelet = new KubeletEmulator(node.registryDir());
    registered = register(kubelet);
    faults = MockNvmlFaults.forState(node.nvmlStateFile());
  }

  /**
   * Registers as the kubelet does, which retries a registration whose one-second {@code GetInfo}
   * deadline passed (a cold plugin JVM on a loaded machine can miss it).
   */
  static RegisteredPlugin register(KubeletEmulator kubelet) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return kubelet.register(kubelet.discoverRegistrationSockets().get(0));
      } catch (io.grpc.StatusRuntimeException e) {
        if (attempt == 3 || e.getStatus().getCode() != io.grpc.Status.Code.DEADLINE_EXCEEDED) {
          throw e;
        }
      }
    }
  }

  @AfterAll
  void stopPlugin() {
    if (kubelet != null) {
      kubelet.close();
    }
    if (plugin != null) {
      plugin.close();
    }
  }

  private Map<String, Device> devices() {
    return client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
        .flatMap(s -> s.getSpec().getDevices().stream())
        .collect(Collectors.toMap(Device::getName, Function.identity()));
  }

  private static List<DeviceTaint> taints(Device device) {
    return device.getTaints() == null ? List.of() : device.getTaints();
  }

  private List<String> taintedWith(String key) {
    return devices().values().stream()
        .filter(d -> taints(d).stream().anyMatch(t -> t.getKey().equals(key)))
        .map(Device::getName)
        .sorted()
        .toList();
  }

  private static Optional<DeviceHealth> health(NodeWatchResourcesResponse message, String device) {
    return message.getDevicesList().stream()
        .filter(d -> d.getDevice().getDeviceName().equals(device))
        .findFirst();
  }

  /** Reads the stream until {@code device} has {@code status}; the last message that had it. */
  private static DeviceHealth awaitHealth(HealthWatch watch, String device, HealthStatus status)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<DeviceHealth> seen =
          watch.next(Duration.ofSeconds(1)).flatMap(m -> health(m, device));
      if (seen.isPresent() && seen.get().getHealth() == status) {
        return seen.get();
      }
    }
    throw new AssertionError(device + " never reported " + status);
  }

  @Test
  void fatalXidTaintsExactlyThatGpuUntilItIsResetAndBothStreamsSayUnhealthy() throws Exception {
    try (HealthWatch v1 = registered.watchHealthV1();
        HealthWatch v1alpha1 = registered.watchHealth()) {
      List<String> before = taintedWith("gpu.gpudra.dev/xid");
      assertThat(before).doesNotContain("gpu-4");
      long start = System.nanoTime();

      faults.xid(4, 79);

      await().atMost(WAIT).until(() -> taintedWith("gpu.gpudra.dev/xid").contains("gpu-4"));
      System.out.printf(
          "XID 79 on GPU 4 to NoSchedule taint in the slice: %d ms%n",
          Duration.ofNanos(System.nanoTime() - start).toMillis());
      DeviceTaint taint = taints(devices().get("gpu-4")).getFirst();
      assertThat(taint.getValue()).isEqualTo("79");
      assertThat(taint.getEffect()).isEqualTo("NoSchedule");
      List<String> expected = new java.util.ArrayList<>(before);
      expected.add("gpu-4");
      assertThat(taintedWith("gpu.gpudra.dev/xid")).containsExactlyInAnyOrderElementsOf(expected);
      for (HealthWatch watch : List.of(v1, v1alpha1)) {
        DeviceHealth unhealthy = awaitHealth(watch, "gpu-4", HealthStatus.UNHEALTHY);
        assertThat(unhealthy.getMessage()).contains("XID 79");
      }

      // A reset: the GPU drops off the bus and answers again.
      faults.lose(4);
      await().atMost(WAIT).until(() -> taintedWith("gpu.gpudra.dev/gpu-lost").contains("gpu-4"));
      faults.bringBack(4);

      await().atMost(WAIT).until(() -> taints(devices().get("gpu-4")).isEmpty());
      awaitHealth(v1, "gpu-4", HealthStatus.HEALTHY);
    }
  }

  @Test
  void faultOfAMigParentTaintsAllItsMigDevices() {
    List<String> migOfGpu0 =
        devices().keySet().stream().filter(n -> n.startsWith("gpu-0-mig-")).sorted().toList();
    assertThat(migOfGpu0).hasSize(4);

    faults.xid(0, 48);

    await().atMost(WAIT).until(() -> taintedWith("gpu.gpudra.dev/xid").containsAll(migOfGpu0));
    assertThat(taintedWith("gpu.gpudra.dev/xid"))
        .filteredOn(n -> n.startsWith("gpu-0"))
        .isEqualTo(migOfGpu0);
  }

  @Test
  void xidOfOneMigInstanceTaintsOnlyThatInstance() {
    // GPU 1 holds four 1g.20gb instances; GPU instance 2 sits at placement 2.
    faults.xid(1, 48, 2, 0);

    await()
        .atMost(WAIT)
        .until(
            () -> taintedWith("gpu.gpudra.dev/xid").stream().anyMatch(n -> n.startsWith("gpu-1")));
    assertThat(taintedWith("gpu.gpudra.dev/xid"))
        .filteredOn(n -> n.startsWith("gpu-1"))
        .containsExactly("gpu-1-mig-1g20gb-15-2");
  }

  @Test
  void lostGpuIsTaintedAndComesBackWhenItAnswers() {
    faults.lose(5);

    await().atMost(WAIT).until(() -> taintedWith("gpu.gpudra.dev/gpu-lost").contains("gpu-5"));
    assertThat(taints(devices().get("gpu-5")).getFirst().getEffect()).isEqualTo("NoSchedule");

    faults.bringBack(5);

    await().atMost(WAIT).until(() -> taints(devices().get("gpu-5")).isEmpty());
  }

  @Test
  void applicationXidIsOnlyInformational() throws Exception {
    try (HealthWatch watch = registered.watchHealthV1()) {
      faults.xid(6, 13);

      await().atMost(WAIT).until(() -> taintedWith("gpu.gpudra.dev/xid").contains("gpu-6"));
      assertThat(taints(devices().get("gpu-6")).getFirst().getEffect()).isEqualTo("None");
      DeviceHealth health = awaitHealth(watch, "gpu-6", HealthStatus.HEALTHY);
      assertThat(health.getHealth()).isEqualTo(HealthStatus.HEALTHY);
    }
  }
}
