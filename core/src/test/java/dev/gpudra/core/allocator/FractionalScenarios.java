package dev.gpudra.core.allocator;

import static dev.gpudra.core.allocator.Fixtures.claim;
import static dev.gpudra.core.allocator.Fixtures.device;
import static dev.gpudra.core.allocator.Fixtures.deviceClass;
import static dev.gpudra.core.allocator.Fixtures.exactly;
import static dev.gpudra.core.allocator.Fixtures.holding;
import static dev.gpudra.core.allocator.Fixtures.node;
import static dev.gpudra.core.allocator.Fixtures.nodeSlice;

import dev.gpudra.core.slice.FractionalCapacity;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequirements;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fractional GPUs as the plugin publishes them ({@link FractionalCapacity}: shareable, consumable
 * {@code memory} in whole GiB and {@code cores} in percent, both with defaults): ten agents of 8Gi
 * and 10% on one 80Gi GPU and an eleventh that no longer fits, defaults and rounding, and whole use
 * (all memory, 100%) next to shares in both orders, which must never fit together.
 */
final class FractionalScenarios {

  private static final List<DeviceClass> CLASSES =
      List.of(deviceClass("gpu", "device.driver == \"gpu.gpudra.dev\""));
  private static final String SHARE = "11111111-2222-4333-8444-555555555555";

  private FractionalScenarios() {}

  private static ResourceSlice oneGpu() {
    Device gpu = device("gpu-0", "model", "A100");
    gpu.setAllowMultipleAllocations(true);
    gpu.setCapacity(FractionalCapacity.of(80L << 30));
    return nodeSlice("node-a-gpus", "node-a", "node-a", gpu);
  }

  private static DeviceRequest share(String memory, String cores) {
    DeviceRequest r = exactly("r", "gpu", 1);
    Map<String, Quantity> requests = new LinkedHashMap<>();
    if (memory != null) {
      requests.put("memory", new Quantity(memory));
    }
    if (cores != null) {
      requests.put("cores", new Quantity(cores));
    }
    CapacityRequirements cap = new CapacityRequirements();
    cap.setRequests(requests);
    r.getExactly().setCapacity(cap);
    return r;
  }

  private static ResourceClaim held(String name, String memory, String cores) {
    ResourceClaim c = holding(name, "node-a", "gpu-0");
    DeviceRequestAllocationResult r =
        c.getStatus().getAllocation().getDevices().getResults().get(0);
    r.setShareID(SHARE);
    r.setConsumedCapacity(Map.of("memory", new Quantity(memory), "cores", new Quantity(cores)));
    return c;
  }

  private static Scenario scenario(String id, List<ResourceClaim> held, ResourceClaim... claims) {
    return new Scenario(
        id, node("node-a", "zone", "a"), List.of(oneGpu()), CLASSES, held, List.of(claims));
  }

  static List<Scenario> scenarios() {
    List<ResourceClaim> agents = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      agents.add(claim("agent-" + i, share("8Gi", "10")).build());
    }
    return List.of(
        scenario(
            "fractional-ten-agents",
            List.of(),
            agents.subList(0, 10).toArray(ResourceClaim[]::new)),
        scenario("fractional-eleven-agents", List.of(), agents.toArray(ResourceClaim[]::new)),
        scenario("fractional-defaults", List.of(), claim("c", share(null, null)).build()),
        scenario(
            "fractional-rounds-up-to-whole-gib",
            List.of(),
            claim("c", share("1500Mi", "7")).build()),
        scenario("fractional-too-much-memory", List.of(), claim("c", share("81Gi", "10")).build()),
        scenario("fractional-too-many-cores", List.of(), claim("c", share("1Gi", "101")).build()),
        scenario(
            "fractional-whole-next-to-a-share",
            List.of(held("s", "8Gi", "10")),
            claim("whole", share("80Gi", "100")).build()),
        scenario(
            "fractional-share-next-to-whole",
            List.of(held("w", "80Gi", "100")),
            claim("c", share(null, null)).build()),
        scenario(
            "fractional-whole-then-share",
            List.of(),
            claim("whole", share("80Gi", "100")).build(),
            claim("c", share("1Gi", "1")).build()));
  }
}
