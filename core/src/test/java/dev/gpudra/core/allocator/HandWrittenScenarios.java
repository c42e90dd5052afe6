package dev.gpudra.core.allocator;

import static dev.gpudra.core.allocator.Fixtures.all;
import static dev.gpudra.core.allocator.Fixtures.claim;
import static dev.gpudra.core.allocator.Fixtures.consumes;
import static dev.gpudra.core.allocator.Fixtures.counterSet;
import static dev.gpudra.core.allocator.Fixtures.counterSlice;
import static dev.gpudra.core.allocator.Fixtures.device;
import static dev.gpudra.core.allocator.Fixtures.deviceClass;
import static dev.gpudra.core.allocator.Fixtures.exactly;
import static dev.gpudra.core.allocator.Fixtures.firstAvailable;
import static dev.gpudra.core.allocator.Fixtures.holding;
import static dev.gpudra.core.allocator.Fixtures.node;
import static dev.gpudra.core.allocator.Fixtures.nodeSlice;
import static dev.gpudra.core.allocator.Fixtures.slice;
import static dev.gpudra.core.allocator.Fixtures.sub;
import static dev.gpudra.core.allocator.Fixtures.taint;
import static dev.gpudra.core.allocator.Fixtures.toleration;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequirements;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceConstraint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One scenario per allocator feature, plus the known tricky cases. */
final class HandWrittenScenarios {
  private static final Node NODE = node("node-a", "zone", "a");
  private static final List<DeviceClass> CLASSES =
      List.of(deviceClass("gpu", "device.driver == \"gpu.gpudra.dev\""), deviceClass("any"));
  private static final String H100 = "device.attributes[\"gpu.gpudra.dev\"].model == \"H100\"";
  private static final String A100 = "device.attributes[\"gpu.gpudra.dev\"].model == \"A100\"";
  private static final String NUMA1 = "device.attributes[\"gpu.gpudra.dev\"].numa == 1";

  private HandWrittenScenarios() {}

  private static Device gpu(String name, String model, long numa) {
    return device(
        name,
        "model",
        model,
        "numa",
        numa,
        "resource.kubernetes.io/pcieRoot",
        "pci" + numa,
        "memory",
        new Quantity("40Gi"));
  }

  private static ResourceSlice fourGpus() {
    return nodeSlice(
        "node-a-gpus",
        "node-a",
        "node-a",
        gpu("gpu-0", "A100", 0),
        gpu("gpu-1", "H100", 0),
        gpu("gpu-2", "A100", 1),
        gpu("gpu-3", "H100", 1));
  }

  private static DeviceConstraint match(String attribute, String... requests) {
    DeviceConstraint c = new DeviceConstraint();
    c.setMatchAttribute(attribute);
    c.setRequests(List.of(requests));
    return c;
  }

  private static DeviceConstraint distinct(String attribute, String... requests) {
    DeviceConstraint c = new DeviceConstraint();
    c.setDistinctAttribute(attribute);
    c.setRequests(List.of(requests));
    return c;
  }

  private static ResourceClaim constrained(ResourceClaim c, DeviceConstraint... constraints) {
    c.getSpec().getDevices().setConstraints(List.of(constraints));
    return c;
  }

  private static Scenario scenario(
      String id, List<ResourceSlice> slices, List<ResourceClaim> held, ResourceClaim... claims) {
    return new Scenario(id, NODE, slices, CLASSES, held, List.of(claims));
  }

  static List<Scenario> scenarios() {
    List<Scenario> out = new ArrayList<>();
    ResourceSlice four = fourGpus();
    out.add(
        scenario(
            "exact-count", List.of(four), List.of(), claim("c", exactly("r", "gpu", 2)).build()));
    out.add(
        scenario(
            "held-devices",
            List.of(four),
            List.of(holding("o", "node-a", "gpu-0", "node-a", "gpu-1")),
            claim("c", exactly("r", "gpu", 2)).build()));
    DeviceRequest admin = exactly("r", "gpu", 1);
    admin.getExactly().setAdminAccess(true);
    out.add(
        scenario(
            "admin-access",
            List.of(four),
            List.of(holding("o", "node-a", "gpu-0")),
            claim("c", admin).build()));
    out.add(
        scenario(
            "request-selectors",
            List.of(four),
            List.of(),
            claim("c", exactly("r", "gpu", 1, H100, NUMA1)).build()));
    out.add(
        scenario(
            "not-enough",
            List.of(four),
            List.of(),
            claim("c", exactly("r", "gpu", 3, H100)).build()));
    out.add(
        scenario("all-mode", List.of(four), List.of(), claim("c", all("r", "gpu", A100)).build()));
    out.add(
        scenario(
            "all-mode-one-held",
            List.of(four),
            List.of(holding("o", "node-a", "gpu-2")),
            claim("c", all("r", "gpu", A100)).build()));
    out.add(
        scenario(
            "match-attribute-backtracking",
            List.of(four),
            List.of(),
            constrained(
                claim("c", exactly("a", "gpu", 1, A100), exactly("b", "gpu", 1, H100, NUMA1))
                    .build(),
                match("gpu.gpudra.dev/numa"))));
    out.add(
        scenario(
            "match-attribute-impossible",
            List.of(four),
            List.of(),
            constrained(
                claim("c", exactly("a", "gpu", 3)).build(), match("gpu.gpudra.dev/model"))));
    out.add(
        scenario(
            "distinct-attribute",
            List.of(four),
            List.of(),
            constrained(
                claim("c", exactly("a", "gpu", 2)).build(),
                distinct("resource.kubernetes.io/pcieRoot"))));
    out.add(
        scenario(
            "first-available",
            List.of(four),
            List.of(),
            claim(
                    "c",
                    firstAvailable(
                        "r",
                        sub(
                            "b200",
                            "gpu",
                            1,
                            "device.attributes[\"gpu.gpudra.dev\"].model == \"B200\""),
                        sub("h100", "gpu", 2, H100)))
                .build()));
    out.add(
        scenario(
            "constraint-across-sub-requests",
            List.of(four),
            List.of(),
            constrained(
                claim(
                        "c",
                        exactly("a", "gpu", 1, H100),
                        firstAvailable("b", sub("x", "gpu", 1, A100), sub("y", "any", 1)))
                    .build(),
                match("gpu.gpudra.dev/numa", "a", "b/x"))));
    out.add(
        scenario(
            "constraint-on-sub-request-forces-fallback",
            List.of(four),
            List.of(),
            constrained(
                claim(
                        "c",
                        exactly("a", "gpu", 2, H100),
                        firstAvailable("b", sub("x", "gpu", 1, A100), sub("y", "any", 1)))
                    .build(),
                match("gpu.gpudra.dev/numa", "b/x", "a"))));
    out.add(
        scenario(
            "result-limit", List.of(four), List.of(), claim("c", exactly("r", "gpu", 33)).build()));
    out.add(
        scenario(
            "two-claims",
            List.of(four),
            List.of(),
            claim("c1", exactly("r", "gpu", 3)).build(),
            claim("c2", exactly("r", "gpu", 1)).build()));
    out.add(
        scenario(
            "two-claims-too-many",
            List.of(four),
            List.of(),
            claim("c1", exactly("r", "gpu", 3)).build(),
            claim("c2", exactly("r", "gpu", 2)).build()));
    out.addAll(taints());
    out.addAll(counters());
    out.addAll(pools());
    out.addAll(nodeSelection());
    out.addAll(errorsAndCapacity(four));
    out.addAll(FractionalScenarios.scenarios());
    return out;
  }

  private static List<Scenario> taints() {
    Device tainted = gpu("gpu-0", "A100", 0);
    tainted.setTaints(List.of(taint("health", "xid", "NoSchedule")));
    Device evicting = gpu("gpu-1", "A100", 0);
    evicting.setTaints(List.of(taint("maint", "now", "NoExecute")));
    Device informational = gpu("gpu-2", "A100", 0);
    informational.setTaints(List.of(taint("note", "x", "None")));
    ResourceSlice slice = nodeSlice("s", "node-a", "node-a", tainted, evicting, informational);
    DeviceRequest exists = exactly("r", "gpu", 2);
    exists.getExactly().setTolerations(List.of(toleration("health", "Exists", null, null)));
    DeviceRequest equal = exactly("r", "gpu", 3);
    equal
        .getExactly()
        .setTolerations(
            List.of(
                toleration("health", "Equal", "xid", "NoSchedule"),
                toleration("maint", "Equal", "now", null)));
    DeviceRequest all = exactly("r", "gpu", 3);
    all.getExactly().setTolerations(List.of(toleration(null, "Exists", null, null)));
    return List.of(
        scenario(
            "taint-untolerated",
            List.of(slice),
            List.of(),
            claim("c", exactly("r", "gpu", 2)).build()),
        scenario("taint-tolerated-exists", List.of(slice), List.of(), claim("c", exists).build()),
        scenario("taint-tolerated-equal", List.of(slice), List.of(), claim("c", equal).build()),
        scenario("taint-tolerate-everything", List.of(slice), List.of(), claim("c", all).build()));
  }

  private static List<Scenario> counters() {
    Device whole = device("gpu-0-whole");
    whole.setConsumesCounters(List.of(consumes("gpu-0", "memory", "40Gi", "slices", "7")));
    List<Device> parts = new ArrayList<>(List.of(whole));
    for (int i = 0; i < 4; i++) {
      Device p = device("gpu-0-2g-" + i, "profile", "2g.10gb");
      p.setConsumesCounters(List.of(consumes("gpu-0", "memory", "10Gi", "slices", "2")));
      parts.add(p);
    }
    List<ResourceSlice> slices =
        List.of(
            counterSlice(
                "a-counters",
                "node-a",
                "node-a",
                2,
                counterSet("gpu-0", "memory", "40Gi", "slices", "7")),
            slice("a-devices", "node-a", 1, 2, parts.toArray(Device[]::new))
                .editSpec()
                .withNodeName("node-a")
                .endSpec()
                .build());
    String profile = "has(device.attributes[\"gpu.gpudra.dev\"].profile)";
    return List.of(
        scenario(
            "counters-whole-device", slices, List.of(), claim("c", exactly("r", "gpu", 1)).build()),
        scenario(
            "counters-partitions",
            slices,
            List.of(),
            claim("c", exactly("r", "gpu", 3, profile)).build()),
        scenario(
            "counters-exhausted",
            slices,
            List.of(),
            claim("c", exactly("r", "gpu", 4, profile)).build()),
        scenario(
            "counters-held-partition-blocks-whole",
            slices,
            List.of(holding("o", "node-a", "gpu-0-2g-1")),
            claim("c", exactly("r", "gpu", 1, "!" + profile)).build()),
        scenario(
            "counters-backtrack-across-requests",
            slices,
            List.of(),
            claim("c", exactly("a", "gpu", 1), exactly("b", "gpu", 1, profile)).build()));
  }

  private static List<Scenario> pools() {
    ResourceSlice old =
        slice("old", "node-a", 1, 1, gpu("gpu-old", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    ResourceSlice newer =
        slice("new", "node-a", 2, 1, gpu("gpu-new", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    ResourceSlice incomplete =
        slice("part", "pool-b", 1, 2, gpu("gpu-b", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    ResourceSlice dup1 =
        slice("dup-1", "pool-d", 1, 2, gpu("gpu-x", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    ResourceSlice dup2 =
        slice("dup-2", "pool-d", 1, 2, gpu("gpu-x", "H100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    ResourceSlice sliceB =
        slice("b-slice", "pool-a", 1, 2, gpu("gpu-b0", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    ResourceSlice sliceA =
        slice("a-slice", "pool-a", 1, 2, gpu("gpu-a0", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    return List.of(
        scenario(
            "newest-generation-only",
            List.of(old, newer),
            List.of(),
            claim("c", exactly("r", "gpu", 1)).build()),
        scenario(
            "newest-generation-not-enough",
            List.of(old, newer),
            List.of(),
            claim("c", exactly("r", "gpu", 2)).build()),
        scenario(
            "incomplete-pool",
            List.of(incomplete),
            List.of(),
            claim("c", exactly("r", "gpu", 1)).build()),
        scenario(
            "incomplete-pool-all",
            List.of(incomplete, newer),
            List.of(),
            claim("c", all("r", "gpu")).build()),
        scenario(
            "incomplete-pool-other-pool-used",
            List.of(incomplete, newer),
            List.of(),
            claim("c", exactly("r", "gpu", 1)).build()),
        scenario(
            "invalid-pool-duplicate-names",
            List.of(dup1, dup2),
            List.of(),
            claim("c", exactly("r", "gpu", 1)).build()),
        scenario(
            "slices-in-name-order",
            List.of(sliceB, sliceA),
            List.of(),
            claim("c", exactly("r", "gpu", 1)).build()));
  }

  private static List<Scenario> nodeSelection() {
    ResourceSlice zonal =
        slice("zonal", "zone-a", 1, 1, gpu("gpu-z", "A100", 0))
            .editSpec()
            .withNodeSelector(
                new NodeSelectorBuilder()
                    .addNewNodeSelectorTerm()
                    .addNewMatchExpression()
                    .withKey("zone")
                    .withOperator("In")
                    .withValues("a")
                    .endMatchExpression()
                    .endNodeSelectorTerm()
                    .build())
            .endSpec()
            .build();
    ResourceSlice otherZone =
        slice("other", "zone-b", 1, 1, gpu("gpu-b", "A100", 0))
            .editSpec()
            .withNodeSelector(
                new NodeSelectorBuilder()
                    .addNewNodeSelectorTerm()
                    .addNewMatchExpression()
                    .withKey("zone")
                    .withOperator("In")
                    .withValues("b")
                    .endMatchExpression()
                    .endNodeSelectorTerm()
                    .build())
            .endSpec()
            .build();
    ResourceSlice everywhere =
        slice("everywhere", "network", 1, 1, gpu("net-0", "A100", 0))
            .editSpec()
            .withAllNodes(true)
            .endSpec()
            .build();
    Device here = gpu("here", "A100", 0);
    here.setNodeName("node-a");
    Device there = gpu("there", "A100", 0);
    there.setNodeName("node-b");
    Device anywhere = gpu("anywhere", "A100", 0);
    anywhere.setAllNodes(true);
    ResourceSlice perDevice =
        slice("per-device", "fabric", 1, 1, there, anywhere, here)
            .editSpec()
            .withPerDeviceNodeSelection(true)
            .endSpec()
            .build();
    ResourceSlice otherNode = nodeSlice("elsewhere", "node-b", "node-b", gpu("gpu-far", "A100", 0));
    return List.of(
        scenario(
            "node-selector-slice",
            List.of(zonal, otherZone),
            List.of(),
            claim("c", exactly("r", "gpu", 1)).build()),
        scenario(
            "node-selector-slice-too-few",
            List.of(zonal, otherZone),
            List.of(),
            claim("c", exactly("r", "gpu", 2)).build()),
        scenario(
            "all-nodes-slice",
            List.of(everywhere, zonal),
            List.of(),
            claim("c", exactly("r", "gpu", 2)).build()),
        scenario(
            "per-device-node-selection",
            List.of(perDevice),
            List.of(),
            claim("c", exactly("r", "gpu", 2)).build()),
        scenario(
            "no-slices-for-node",
            List.of(otherNode),
            List.of(),
            claim("c", exactly("r", "gpu", 1)).build()));
  }

  private static List<Scenario> errorsAndCapacity(ResourceSlice four) {
    Device shared = device("vf-pool", "model", "NIC");
    shared.setAllowMultipleAllocations(true);
    DeviceCapacity bandwidth = new DeviceCapacity();
    bandwidth.setValue(new Quantity("100"));
    shared.setCapacity(Map.of("bandwidth", bandwidth));
    ResourceSlice nic = nodeSlice("nic", "node-a", "node-a-nic", shared);
    DeviceRequest sixty = exactly("r", "any", 1);
    CapacityRequirements cap = new CapacityRequirements();
    cap.setRequests(Map.of("bandwidth", new Quantity("60")));
    sixty.getExactly().setCapacity(cap);
    ResourceClaim held = holding("o", "node-a-nic", "vf-pool");
    held.getStatus().getAllocation().getDevices().getResults().get(0).setDriver("gpu.gpudra.dev");
    held.getStatus()
        .getAllocation()
        .getDevices()
        .getResults()
        .get(0)
        .setShareID("11111111-2222-3333-4444-555555555555");
    held.getStatus()
        .getAllocation()
        .getDevices()
        .getResults()
        .get(0)
        .setConsumedCapacity(Map.of("bandwidth", new Quantity("50")));
    return List.of(
        scenario(
            "missing-class", List.of(four), List.of(), claim("c", exactly("r", "nope", 1)).build()),
        scenario(
            "selector-compile-error",
            List.of(four),
            List.of(),
            claim("c", exactly("r", "gpu", 1, "device.driver ==")).build()),
        scenario(
            "selector-runtime-error",
            List.of(four),
            List.of(),
            claim("c", exactly("r", "gpu", 1, "device.attributes[\"gpu.gpudra.dev\"].missing == 1"))
                .build()),
        scenario(
            "multi-allocation-shares",
            List.of(nic),
            List.of(),
            claim("c1", exactly("r", "any", 1)).build()),
        scenario("consumable-capacity-fits", List.of(nic), List.of(), claim("c", sixty).build()),
        scenario(
            "consumable-capacity-exhausted",
            List.of(nic),
            List.of(held),
            claim("c", sixty).build()),
        scenario(
            "consumable-capacity-two-claims",
            List.of(nic),
            List.of(),
            claim("c1", sixty).build(),
            claim("c2", sixty).build()));
  }
}
