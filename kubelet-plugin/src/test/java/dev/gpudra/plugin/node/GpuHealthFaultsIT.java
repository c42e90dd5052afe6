package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.proto.health.v1alpha1.DeviceHealth;
import dev.gpudra.proto.health.v1alpha1.HealthStatus;
import dev.gpudra.testkit.kubelet.HealthWatch;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.RegisteredPlugin;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockNvmlFaults;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Health faults that need a plugin of their own: a driver without NVML events, and an XID flood
 * that must not flood the API server.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class GpuHealthFaultsIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  static KubernetesClient client;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path root;

  private List<Device> devices(FakeNode node) {
    return client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
        .filter(s -> node.nodeName().equals(s.getSpec().getNodeName()))
        .flatMap(s -> s.getSpec().getDevices().stream())
        .toList();
  }

  private static List<DeviceTaint> taints(Device device) {
    return device.getTaints() == null ? List.of() : device.getTaints();
  }

  @Test
  void withoutEventsEveryGpuIsUnmonitoredUnknownAndThePluginKeepsServing() throws Exception {
    FakeNode node = FakeNode.create(root, "node-b", "l4-1x");
    Map<String, String> env = new HashMap<>(node.env(client.getMasterUrl().toString()));
    env.put(MockNvml.FAIL_EVENTS_ENV, "NVML_ERROR_NOT_SUPPORTED");
    PluginProcess plugin =
        PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    try (KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      RegisteredPlugin registered = GpuHealthIT.register(kubelet);

      await().atMost(WAIT).until(() -> !devices(node).isEmpty());
      assertThat(devices(node))
          .singleElement()
          .satisfies(
              d ->
                  assertThat(taints(d))
                      .extracting(
                          DeviceTaint::getKey, DeviceTaint::getValue, DeviceTaint::getEffect)
                      .containsExactly(
                          org.assertj.core.groups.Tuple.tuple(
                              "gpu.gpudra.dev/unmonitored", "NotSupported", "None")));
      try (HealthWatch watch = registered.watchHealthV1()) {
        DeviceHealth gpu = watch.next(WAIT).orElseThrow().getDevices(0);
        assertThat(gpu.getHealth()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(gpu.getMessage()).contains("not monitored");
      }
    } finally {
      plugin.close();
    }
  }

  @Test
  void xidFloodIsCoalescedIntoOneSliceWrite() throws Exception {
    FakeNode node = FakeNode.create(root, "node-c", "l4-1x");
    PluginProcess plugin =
        PluginProcess.start(
            node.env(client.getMasterUrl().toString()),
            root.resolve("plugin.log"),
            Duration.ofSeconds(90));
    try {
      await().atMost(WAIT).until(() -> !devices(node).isEmpty());
      AtomicInteger writes = new AtomicInteger();
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      MockNvmlFaults faults = MockNvmlFaults.forState(node.nvmlStateFile());
      long start;
      Watch watch =
          client
              .dynamicResourceAllocation()
              .v1()
              .resourcesSlices()
              .watch(
                  new Watcher<ResourceSlice>() {
                    @Override
                    public void eventReceived(Action action, ResourceSlice slice) {
                      if (!node.nodeName().equals(slice.getSpec().getNodeName())) {
                        return;
                      }
                      seen.add(action + "@" + slice.getSpec().getPool().getGeneration());
                      // The watch starts with the slice as it is; only later events are writes.
                      if (action == Action.MODIFIED || action == Action.DELETED) {
                        writes.incrementAndGet();
                      }
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
      try {
        // 1000 XIDs a second for 10 s, alternating an application and a needs-reset XID.
        start = System.nanoTime();
        for (int second = 0; second < 10; second++) {
          faults.xidFlood(0, second % 2 == 0 ? 13 : 48, 1000);
          Thread.sleep(1000);
        }
        await().atMost(WAIT).until(() -> taints(devices(node).getFirst()).size() == 1);
        Thread.sleep(2000); // anything still queued would land now
      } finally {
        watch.close();
      }
      double minutes = Duration.ofNanos(System.nanoTime() - start).toMillis() / 60_000.0;
      System.out.printf(
          "XID flood: 10000 XIDs, %d slice writes (%.1f per minute): %s%n",
          writes.get(), writes.get() / minutes, seen);

      // One write for the application XID's informational taint, one when the needs-reset XID
      // makes it NoSchedule; the 9998 repeats write nothing.
      assertThat(writes.get()).isLessThanOrEqualTo(2);
      assertThat(taints(devices(node).getFirst()).getFirst().getEffect()).isEqualTo("NoSchedule");
    } finally {
      plugin.close();
    }
  }

  @Test
  void withDynamicMigAFaultyGpuTaintsEveryPlacementOfItAndNoOtherDevice() throws Exception {
    FakeNode node = FakeNode.create(root, "node-d", "a100-8x");
    Map<String, String> env = new HashMap<>(node.env(client.getMasterUrl().toString()));
    env.put("GPUDRA_DYNAMIC_MIG", "true");
    PluginProcess plugin =
        PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    try {
      await().atMost(WAIT).until(() -> !devices(node).isEmpty());
      List<String> placementsOfGpu1 =
          devices(node).stream()
              .map(Device::getName)
              .filter(n -> n.startsWith("gpu-1-mig-"))
              .sorted()
              .toList();
      assertThat(placementsOfGpu1).hasSizeGreaterThan(4);

      MockNvmlFaults.forState(node.nvmlStateFile()).xid(1, 119);

      await()
          .atMost(WAIT)
          .until(
              () ->
                  devices(node).stream()
                      .filter(d -> !taints(d).isEmpty())
                      .map(Device::getName)
                      .sorted()
                      .toList()
                      .equals(placementsOfGpu1));
      assertThat(devices(node))
          .filteredOn(d -> d.getName().startsWith("gpu-1-"))
          .allSatisfy(d -> assertThat(taints(d).getFirst().getValue()).isEqualTo("119"));
    } finally {
      plugin.close();
    }
  }
}
