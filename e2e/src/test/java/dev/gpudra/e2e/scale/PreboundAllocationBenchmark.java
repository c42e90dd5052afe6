package dev.gpudra.e2e.scale;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.E2eBinaries;
import dev.gpudra.e2e.cluster.FreePorts;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.nodes.FakeNodes;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.e2e.nodes.PreboundWebhooks;
import dev.gpudra.plugin.slices.ResourceSlicePublisher;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Time from a pod's creation to its claim being allocated, on the real control plane with {@code
 * gpudra.prebound.nodes} (50) fake 8x H100 nodes: {@code gpudra.prebound.pods} (200) pre-bound pods
 * asking {@code nvidia.com/gpu: 1} (rewritten by the webhook, allocated by the driver controller),
 * against a baseline measured in the same run: scheduler-placed pods with a one-GPU claim template,
 * allocated by kube-scheduler, on the same nodes ({@code gpudra.prebound.baseline}, by default half
 * the GPUs the pre-bound pods leave). Both kinds are created interleaved, so the two allocators
 * compete for the same GPUs. The informer counts every device it ever shows in two claims at once
 * (races, which the controller resolves by releasing its claim) and every release; once every claim
 * is allocated, the run waits until the allocations settle (no change for {@code SETTLE}) and then
 * counts the devices still held by two claims, which must be 0. No kubelet runs: the measurement
 * ends at allocation.
 *
 * <p>A harness that prints a table, not a test.
 */
public final class PreboundAllocationBenchmark {

  private static final String NS = "prebound-bench";
  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  /** Longer than the controller's confirmation delay and its periodic pass in this run (1 s). */
  private static final Duration SETTLE = Duration.ofSeconds(3);

  private PreboundAllocationBenchmark() {}

  public static void main(String[] args) throws Exception {
    int nodes = Integer.getInteger("gpudra.prebound.nodes", 50);
    int pods = Integer.getInteger("gpudra.prebound.pods", 200);
    // An 8x H100 node offers 6 whole GPUs (2 are in MIG mode): the baseline takes what the
    // pre-bound pods leave, so that every pod can be allocated.
    int baseline =
        Integer.getInteger("gpudra.prebound.baseline", Math.max(1, nodes * 6 - pods) / 2);
    String stamp =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    try (ControlPlane plane =
        ControlPlane.start(
            E2eBinaries.locate(), ControlPlane.workBase().resolve("prebound-" + stamp))) {
      KubernetesClient client = plane.client();
      ChartDeviceClasses.apply(plane, "deviceClasses.gpu.extendedResourceName=nvidia.com/gpu");
      NodeInventory h100 =
          MockNodeDiscovery.discover("h100-8x", plane.workDir().resolve("mock-nvml"));
      for (int i = 0; i < nodes; i++) {
        String node = "bench-" + i;
        FakeNodes.createReady(client, node);
        new ResourceSlicePublisher(client, "gpu.gpudra.dev", node)
            .publish(
                ResourceSliceMapper.map(
                    h100, new SliceMappingOptions("gpu.gpudra.dev", node, false)));
      }
      client
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(NS)
                  .addToLabels("gpu.gpudra.dev/prebound-pods", "enabled")
                  .endMetadata()
                  .build())
          .create();
      Namespaces.awaitReady(client, NS);
      client.resource(oneGpuTemplate()).inNamespace(NS).create();
      int port = FreePorts.take(1).getFirst();
      try (DriverControllerProcess controller =
          DriverControllerProcess.start(
              plane, "default", List.of("-Xmx512m"), PreboundWebhooks.controllerEnv(plane, port))) {
        // The plane goes away after the run; the configurations go with it.
        PreboundWebhooks.register(plane, port);
        Map<String, Long> created = new ConcurrentHashMap<>();
        Map<String, Long> allocated = new ConcurrentHashMap<>();
        RaceCounter races = new RaceCounter();
        var informer =
            client
                .dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(NS)
                .inform(
                    new ResourceEventHandler<>() {
                      @Override
                      public void onAdd(ResourceClaim c) {
                        seen(c);
                      }

                      @Override
                      public void onUpdate(ResourceClaim before, ResourceClaim after) {
                        seen(after);
                      }

                      @Override
                      public void onDelete(ResourceClaim c, boolean unknown) {}

                      private void seen(ResourceClaim c) {
                        races.seen(c);
                        if (c.getStatus() != null
                            && c.getStatus().getAllocation() != null
                            && !c.getMetadata().getOwnerReferences().isEmpty()) {
                          allocated.putIfAbsent(
                              c.getMetadata().getOwnerReferences().getFirst().getName(),
                              System.nanoTime());
                        }
                      }
                    });
        for (int i = 0; i < pods; i++) {
          Pod prebound = pod("prebound-" + i, "bench-" + (i % nodes), true);
          created.put(prebound.getMetadata().getName(), System.nanoTime());
          client.resource(prebound).inNamespace(NS).create();
          if (i < baseline) {
            Pod scheduled = pod("scheduled-" + i, null, false);
            created.put(scheduled.getMetadata().getName(), System.nanoTime());
            client.resource(scheduled).inNamespace(NS).create();
          }
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (allocated.size() < pods + baseline && System.nanoTime() < deadline) {
          Thread.sleep(200);
        }
        long settled =
            races.awaitSettled(
                pods + baseline, SETTLE, System.nanoTime() + Duration.ofMinutes(1).toNanos());
        informer.close();
        List<ResourceClaim> claims =
            client
                .dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(NS)
                .list()
                .getItems();
        print(nodes, pods, baseline, created, allocated, claims, controller);
        System.out.printf(
            "races seen by the informer: %d devices in two claims at once, %d pre-bound claims"
                + " released; settled %s after the last first allocation%n",
            races.everDoubled(), races.released(), settled < 0 ? "NOT (timeout)" : settled + " ms");
        System.out.printf(
            "load average: %s%n",
            java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
      }
    }
  }

  private static Pod pod(String name, String node, boolean extendedResource) {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("main")
            .withImage("cuda")
            .withNewResources()
            .endResources()
            .endContainer()
            .endSpec();
    if (extendedResource) {
      return pod.editSpec()
          .editFirstContainer()
          .editResources()
          .addToLimits("nvidia.com/gpu", new Quantity("1"))
          .endResources()
          .endContainer()
          .endSpec()
          .build();
    }
    return pod.editSpec()
        .addNewResourceClaim()
        .withName("gpu")
        .withResourceClaimTemplateName("one-gpu")
        .endResourceClaim()
        .editFirstContainer()
        .editResources()
        .addNewClaim()
        .withName("gpu")
        .endClaim()
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  private static io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate
      oneGpuTemplate() {
    return new ResourceClaimTemplateBuilder()
        .withNewMetadata()
        .withName("one-gpu")
        .endMetadata()
        .withNewSpec()
        .withNewSpec()
        .withNewDevices()
        .addNewRequest()
        .withName("gpu")
        .withNewExactly()
        .withDeviceClassName("gpu.gpudra.dev")
        .withAllocationMode("ExactCount")
        .withCount(1L)
        .endExactly()
        .endRequest()
        .endDevices()
        .endSpec()
        .endSpec()
        .build();
  }

  private static void print(
      int nodes,
      int pods,
      int baseline,
      Map<String, Long> created,
      Map<String, Long> allocated,
      List<ResourceClaim> claims,
      DriverControllerProcess controller) {
    List<Double> prebound = new ArrayList<>();
    List<Double> scheduled = new ArrayList<>();
    allocated.forEach(
        (pod, at) -> {
          Long start = created.get(pod);
          if (start != null) {
            (pod.startsWith("prebound-") ? prebound : scheduled).add((at - start) / 1e6);
          }
        });
    Map<String, Integer> holders = new HashMap<>();
    int results = 0;
    for (ResourceClaim c : claims) {
      if (c.getStatus() == null || c.getStatus().getAllocation() == null) {
        continue;
      }
      for (DeviceRequestAllocationResult r :
          c.getStatus().getAllocation().getDevices().getResults()) {
        results++;
        holders.merge(r.getPool() + "/" + r.getDevice(), 1, Integer::sum);
      }
    }
    long doubled = holders.values().stream().filter(n -> n > 1).count();
    System.out.printf(
        "%nPre-bound pod allocation: %d nodes x 8 H100 (6 whole GPUs each), %d pre-bound + %d"
            + " scheduler-placed pods created interleaved, 1 GPU each%n",
        nodes, pods, baseline);
    System.out.printf(
        "%-34s %8s %10s %10s %10s%n", "pods", "allocated", "p50 ms", "p99 ms", "max ms");
    row("scheduler-placed (baseline)", baseline, scheduled);
    row("pre-bound (webhook + controller)", pods, prebound);
    System.out.printf(
        "p50 ratio pre-bound/baseline: %.2f   p99 ratio: %.2f%n",
        Percentiles.of(prebound, 50) / Percentiles.of(scheduled, 50),
        Percentiles.of(prebound, 99) / Percentiles.of(scheduled, 99));
    System.out.printf(
        "allocated devices: %d, claims allocated: %d/%d, devices held by two claims after"
            + " settling (double allocations): %d%n",
        results,
        claims.stream()
            .filter(c -> c.getStatus() != null && c.getStatus().getAllocation() != null)
            .count(),
        claims.size(),
        doubled);
    if (prebound.size() < pods) {
      System.out.println("controller log tail:\n" + controller.logTail());
    }
  }

  private static void row(String name, int pods, List<Double> millis) {
    System.out.printf(
        "%-34s %4d/%-4d %10.0f %10.0f %10.0f%n",
        name,
        millis.size(),
        pods,
        Percentiles.of(millis, 50),
        Percentiles.of(millis, 99),
        Percentiles.of(millis, 100));
  }
}
