package dev.gpudra.core.allocator;

import static dev.gpudra.core.allocator.Fixtures.claim;
import static dev.gpudra.core.allocator.Fixtures.consumes;
import static dev.gpudra.core.allocator.Fixtures.counterSet;
import static dev.gpudra.core.allocator.Fixtures.deviceClass;
import static dev.gpudra.core.allocator.Fixtures.node;
import static dev.gpudra.core.allocator.Fixtures.taint;
import static dev.gpudra.core.allocator.Fixtures.toleration;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicy;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicyRange;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequirements;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClaimConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceConstraint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSubRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceToleration;
import io.fabric8.kubernetes.api.model.resource.v1.OpaqueDeviceConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded random allocation problems over the features both allocators share: node-local, shared and
 * per-device node selection; generations, incomplete and invalid pools; held devices and admin
 * access; class and request selectors (some failing at run time); ExactCount, All and
 * firstAvailable; matchAttribute and distinctAttribute; taints and tolerations; shared counters;
 * devices that allow multiple allocations with capacity policies; class and claim configs.
 */
final class ScenarioGenerator {
  static final String GPU = Fixtures.DRIVER;
  static final String NIC = "nic.example.com";
  private static final String[] MODELS = {"A100", "H100", "L4"};
  private static final String[] ROOTS = {"pci0", "pci1", "pci2"};
  private static final String[] VERSIONS = {"535.104.5", "550.54.15", "560.0.0-rc.1"};
  private static final String[] MEMORY = {"16Gi", "40Gi", "80Gi"};
  private static final String[] SELECTORS = {
    "has(device.attributes[\"gpu.gpudra.dev\"].model) && device.attributes[\"gpu.gpudra.dev\"].model == \"H100\"",
    "has(device.attributes[\"gpu.gpudra.dev\"].model) && device.attributes[\"gpu.gpudra.dev\"].model.startsWith(\"A\")",
    "has(device.attributes[\"gpu.gpudra.dev\"].numa) && device.attributes[\"gpu.gpudra.dev\"].numa == 1",
    "has(device.attributes[\"gpu.gpudra.dev\"].driverVersion) && device.attributes[\"gpu.gpudra.dev\"].driverVersion.isGreaterThan(semver(\"540.0.0\"))",
    "has(device.capacity[\"gpu.gpudra.dev\"].memory) && device.capacity[\"gpu.gpudra.dev\"].memory.compareTo(quantity(\"40Gi\")) >= 0",
    "has(device.attributes[\"resource.kubernetes.io\"].pcieRoot) && device.attributes[\"resource.kubernetes.io\"].pcieRoot in [\"pci0\", \"pci2\"]",
    "!has(device.attributes[\"gpu.gpudra.dev\"].mig) || !device.attributes[\"gpu.gpudra.dev\"].mig",
    "device.driver == \"gpu.gpudra.dev\"",
    // No has() guard: fails at run time on devices without the attribute.
    "device.attributes[\"gpu.gpudra.dev\"].model != \"L4\"",
  };

  private final Random rnd;
  private int counter;

  ScenarioGenerator(long seed) {
    this.rnd = new Random(seed);
  }

  Scenario next(String id) {
    counter = 0;
    List<Node> nodes =
        List.of(node("node-0", "zone", "a", "tier", "gold"), node("node-1", "zone", "b"));
    Node target = nodes.get(chance(0.85) ? 0 : 1);
    List<ResourceSlice> slices = new ArrayList<>();
    for (Node n : nodes) {
      String name = n.getMetadata().getName();
      slices.addAll(pool(GPU, name, name, null, false, false));
      if (chance(0.3)) {
        slices.addAll(pool(NIC, name + "-nic", name, null, false, false));
      }
    }
    if (chance(0.35)) {
      slices.addAll(pool(GPU, "shared-zone", null, zoneSelector(), false, false));
    }
    if (chance(0.15)) {
      slices.addAll(pool(GPU, "shared-all", null, null, true, false));
    }
    if (chance(0.15)) {
      slices.addAll(pool(GPU, "per-device", null, null, false, true));
    }
    if (chance(0.15)) {
      slices.addAll(spanningPool());
    }
    List<DeviceClass> classes = classes();
    List<ResourceClaim> held = held(slices);
    List<ResourceClaim> claims = new ArrayList<>();
    int numClaims = chance(0.75) ? 1 : 2;
    for (int c = 0; c < numClaims; c++) {
      claims.add(claimToAllocate("claim-" + c));
    }
    return new Scenario(id, target, slices, classes, held, claims);
  }

  private boolean chance(double p) {
    return rnd.nextDouble() < p;
  }

  private <T> T pick(T[] values) {
    return values[rnd.nextInt(values.length)];
  }

  private List<ResourceSlice> pool(
      String driver,
      String pool,
      String nodeName,
      NodeSelector selector,
      boolean allNodes,
      boolean perDevice) {
    List<ResourceSlice> out = new ArrayList<>();
    long generation = 1L + rnd.nextInt(2);
    int deviceSlices = 1 + rnd.nextInt(2);
    boolean counters = driver.equals(GPU) && chance(0.25);
    int count = deviceSlices + (counters ? 1 : 0);
    long declared = chance(0.08) ? count + 1 : count;
    boolean duplicateNames = chance(0.03);
    for (int s = 0; s < deviceSlices; s++) {
      List<Device> devices = new ArrayList<>();
      // Now and then a large pool, so that constraints force deep backtracking.
      int n = chance(0.1) ? 8 + rnd.nextInt(8) : rnd.nextInt(7);
      for (int d = 0; d < n; d++) {
        String name = duplicateNames ? "dev-" + d : "dev-" + s + "-" + d;
        devices.add(device(driver, name, counters, perDevice));
      }
      out.add(
          slice(
              driver,
              pool + "-s" + s,
              pool,
              generation,
              declared,
              nodeName,
              selector,
              allNodes,
              perDevice,
              devices));
    }
    if (counters) {
      ResourceSlice cs =
          slice(
              driver,
              pool + "-counters",
              pool,
              generation,
              declared,
              nodeName,
              selector,
              allNodes,
              false,
              List.of());
      cs.getSpec()
          .setSharedCounters(
              List.of(
                  counterSet(
                      "cs-0",
                      "mem",
                      pick(new String[] {"40Gi", "60Gi"}),
                      "compute",
                      "" + (2 + rnd.nextInt(6)))));
      if (perDevice) {
        cs.getSpec().setPerDeviceNodeSelection(null);
        cs.getSpec().setAllNodes(true);
      }
      out.add(cs);
    }
    if (generation > 1 && chance(0.3)) {
      List<Device> stale = List.of(device(driver, "stale-0", false, perDevice));
      out.add(
          slice(
              driver,
              pool + "-old",
              pool,
              generation - 1,
              1,
              nodeName,
              selector,
              allNodes,
              perDevice,
              stale));
    }
    return out;
  }

  /**
   * One pool whose device slices serve different zones while sharing counters: seen from one node
   * the pool looks incomplete, so the allocator must consult all its slices, and devices held on
   * the other zone's slice still consume the shared counters.
   */
  private List<ResourceSlice> spanningPool() {
    List<ResourceSlice> out = new ArrayList<>();
    String[] zones = {"a", "b"};
    for (int z = 0; z < zones.length; z++) {
      List<Device> devices = new ArrayList<>();
      for (int d = 0; d < 1 + rnd.nextInt(3); d++) {
        devices.add(device(GPU, "span-" + z + "-" + d, true, false));
      }
      NodeSelector zone =
          new NodeSelectorBuilder()
              .addNewNodeSelectorTerm()
              .addNewMatchExpression()
              .withKey("zone")
              .withOperator("In")
              .withValues(zones[z])
              .endMatchExpression()
              .endNodeSelectorTerm()
              .build();
      out.add(slice(GPU, "span-s" + z, "span", 1, 3, null, zone, false, false, devices));
    }
    ResourceSlice counters =
        slice(GPU, "span-counters", "span", 1, 3, null, null, true, false, List.of());
    counters
        .getSpec()
        .setSharedCounters(List.of(counterSet("cs-0", "mem", "60Gi", "compute", "5")));
    out.add(counters);
    return out;
  }

  private static ResourceSlice slice(
      String driver,
      String name,
      String pool,
      long generation,
      long count,
      String nodeName,
      NodeSelector selector,
      boolean allNodes,
      boolean perDevice,
      List<Device> devices) {
    ResourceSlice s =
        Fixtures.slice(name, pool, generation, count, devices.toArray(Device[]::new)).build();
    s.getSpec().setDriver(driver);
    s.getSpec().setNodeName(nodeName);
    s.getSpec().setNodeSelector(selector);
    if (allNodes) {
      s.getSpec().setAllNodes(true);
    }
    if (perDevice) {
      s.getSpec().setPerDeviceNodeSelection(true);
    }
    return s;
  }

  private NodeSelector zoneSelector() {
    String[][] options = {
      {"zone", "In", "a"}, {"zone", "NotIn", "b"}, {"tier", "Exists", null}, {"zone", "In", "b"}
    };
    String[] o = pick(options);
    var expression =
        new NodeSelectorBuilder()
            .addNewNodeSelectorTerm()
            .addNewMatchExpression()
            .withKey(o[0])
            .withOperator(o[1]);
    if (o[2] != null) {
      expression = expression.withValues(o[2]);
    }
    return expression.endMatchExpression().endNodeSelectorTerm().build();
  }

  private Device device(String driver, String name, boolean counters, boolean perDevice) {
    List<Object> attrs = new ArrayList<>();
    if (chance(0.9)) {
      attrs.addAll(List.of(chance(0.2) ? driver + "/model" : "model", pick(MODELS)));
    }
    if (chance(0.8)) {
      attrs.addAll(List.of("numa", (long) rnd.nextInt(2)));
    }
    if (chance(0.7)) {
      attrs.addAll(List.of("resource.kubernetes.io/pcieRoot", pick(ROOTS)));
    }
    if (chance(0.6)) {
      attrs.addAll(List.of("driverVersion", "v:" + pick(VERSIONS)));
    }
    if (chance(0.3)) {
      attrs.addAll(List.of("mig", chance(0.5)));
    }
    if (chance(0.8)) {
      attrs.addAll(List.of("memory", new Quantity(pick(MEMORY))));
    }
    Device d = Fixtures.device(name, attrs.toArray());
    if (chance(0.12)) {
      d.setTaints(
          List.of(
              taint(
                  pick(new String[] {"health", "maint"}),
                  pick(new String[] {"bad", "soon"}),
                  pick(new String[] {"NoSchedule", "NoExecute", "None"}))));
    }
    if (counters && chance(0.8)) {
      d.setConsumesCounters(
          List.of(
              consumes(
                  "cs-0",
                  "mem",
                  pick(new String[] {"10Gi", "20Gi", "40Gi"}),
                  "compute",
                  "" + (1 + rnd.nextInt(4)))));
    }
    if (chance(0.03)) {
      d.setBindingConditions(List.of("attached"));
    }
    if (chance(0.05)) {
      d.setBindsToNode(true);
    }
    if (perDevice) {
      switch (rnd.nextInt(3)) {
        case 0 -> d.setNodeName("node-0");
        case 1 -> d.setNodeName("node-1");
        default -> d.setAllNodes(true);
      }
    }
    if (chance(0.08)) {
      d.setAllowMultipleAllocations(true);
      DeviceCapacity bandwidth = new DeviceCapacity();
      bandwidth.setValue(new Quantity("100"));
      if (chance(0.5)) {
        CapacityRequestPolicy policy = new CapacityRequestPolicy();
        policy.setDefault(new Quantity("10"));
        if (chance(0.5)) {
          CapacityRequestPolicyRange range = new CapacityRequestPolicyRange();
          range.setMin(new Quantity("10"));
          range.setStep(new Quantity("10"));
          policy.setValidRange(range);
        } else {
          policy.setValidValues(
              List.of(new Quantity("10"), new Quantity("50"), new Quantity("100")));
        }
        bandwidth.setRequestPolicy(policy);
      }
      d.getCapacity().put("bandwidth", bandwidth);
    }
    return d;
  }

  private List<DeviceClass> classes() {
    DeviceClass withConfig = deviceClass("gpu-cfg", "device.driver == \"gpu.gpudra.dev\"");
    DeviceClassConfiguration cc = new DeviceClassConfiguration();
    cc.setOpaque(opaque("ClassConfig"));
    withConfig.getSpec().setConfig(List.of(cc));
    return List.of(
        deviceClass("gpu", "device.driver == \"gpu.gpudra.dev\""),
        deviceClass("any"),
        deviceClass("big", SELECTORS[4]),
        deviceClass("nic", "device.driver == \"nic.example.com\""),
        withConfig);
  }

  private static OpaqueDeviceConfiguration opaque(String kind) {
    OpaqueDeviceConfiguration o = new OpaqueDeviceConfiguration();
    o.setDriver(GPU);
    o.setParameters(Map.of("apiVersion", "gpu.gpudra.dev/v1", "kind", kind));
    return o;
  }

  private List<ResourceClaim> held(List<ResourceSlice> slices) {
    List<ResourceClaim> out = new ArrayList<>();
    for (ResourceSlice s : slices) {
      for (Device d : s.getSpec().getDevices()) {
        if (!chance(0.2)) {
          continue;
        }
        DeviceRequestAllocationResult r = new DeviceRequestAllocationResult();
        r.setRequest("r");
        r.setDriver(s.getSpec().getDriver());
        r.setPool(s.getSpec().getPool().getName());
        r.setDevice(d.getName());
        if (Boolean.TRUE.equals(d.getAllowMultipleAllocations())) {
          r.setShareID("00000000-0000-0000-0000-00000000000" + (counter++ % 10));
          r.setConsumedCapacity(
              new LinkedHashMap<>(
                  Map.of("bandwidth", new Quantity(pick(new String[] {"10", "50", "100"})))));
        } else if (chance(0.1)) {
          r.setAdminAccess(true);
        }
        ResourceClaim c = claim("held-" + out.size()).build();
        c.setStatus(
            new io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder()
                .withNewAllocation()
                .withNewDevices()
                .withResults(r)
                .endDevices()
                .endAllocation()
                .build());
        out.add(c);
      }
    }
    return out;
  }

  private ResourceClaim claimToAllocate(String name) {
    int numRequests = chance(0.6) ? 1 : 2 + rnd.nextInt(2);
    List<DeviceRequest> requests = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < numRequests; i++) {
      String rn = "req-" + i;
      if (chance(0.2)) {
        List<DeviceSubRequest> subs = new ArrayList<>();
        int numSubs = 2 + rnd.nextInt(2);
        for (int s = 0; s < numSubs; s++) {
          DeviceSubRequest sub =
              Fixtures.sub("sub-" + s, pickClass(), 1 + rnd.nextInt(2), pickSelectors());
          sub.setTolerations(pickTolerations());
          sub.setCapacity(pickCapacity());
          subs.add(sub);
          names.add(rn + "/sub-" + s);
        }
        requests.add(Fixtures.firstAvailable(rn, subs.toArray(DeviceSubRequest[]::new)));
      } else {
        DeviceRequest r =
            chance(0.1)
                ? Fixtures.all(rn, pickClass(), pickSelectors())
                : Fixtures.exactly(
                    rn, pickClass(), chance(0.6) ? 1 : 2 + rnd.nextInt(2), pickSelectors());
        r.getExactly().setTolerations(pickTolerations());
        r.getExactly().setCapacity(pickCapacity());
        if (chance(0.05)) {
          r.getExactly().setAdminAccess(true);
        }
        requests.add(r);
      }
      names.add(rn);
    }
    ResourceClaim claim = claim(name, requests.toArray(DeviceRequest[]::new)).build();
    List<DeviceConstraint> constraints = new ArrayList<>();
    if (chance(0.35)) {
      DeviceConstraint c = new DeviceConstraint();
      switch (rnd.nextInt(4)) {
        case 0 -> c.setMatchAttribute("gpu.gpudra.dev/model");
        case 1 -> c.setMatchAttribute("gpu.gpudra.dev/numa");
        case 2 -> c.setDistinctAttribute("resource.kubernetes.io/pcieRoot");
        default -> c.setDistinctAttribute("gpu.gpudra.dev/numa");
      }
      if (chance(0.5)) {
        c.setRequests(
            List.of(names.get(rnd.nextInt(names.size())), names.get(rnd.nextInt(names.size())))
                .stream()
                .distinct()
                .toList());
      }
      constraints.add(c);
    }
    claim.getSpec().getDevices().setConstraints(constraints);
    if (chance(0.25)) {
      DeviceClaimConfiguration cfg = new DeviceClaimConfiguration();
      cfg.setOpaque(opaque("ClaimConfig"));
      cfg.setRequests(chance(0.4) ? List.of() : List.of(names.get(rnd.nextInt(names.size()))));
      claim.getSpec().getDevices().setConfig(List.of(cfg));
    }
    return claim;
  }

  private String pickClass() {
    double p = rnd.nextDouble();
    if (p < 0.45) {
      return "gpu";
    }
    if (p < 0.6) {
      return "any";
    }
    if (p < 0.75) {
      return "big";
    }
    if (p < 0.85) {
      return "nic";
    }
    if (p < 0.98) {
      return "gpu-cfg";
    }
    return "missing";
  }

  private String[] pickSelectors() {
    int n = rnd.nextInt(10) < 5 ? 0 : 1 + rnd.nextInt(2);
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      // The unguarded selector is rare: most scenarios should get past selector errors.
      out[i] =
          chance(0.05)
              ? SELECTORS[SELECTORS.length - 1]
              : SELECTORS[rnd.nextInt(SELECTORS.length - 1)];
    }
    return out;
  }

  private List<DeviceToleration> pickTolerations() {
    if (!chance(0.2)) {
      return List.of();
    }
    int which = rnd.nextInt(3);
    DeviceToleration t;
    if (which == 0) {
      t = toleration("health", "Exists", null, null);
    } else if (which == 1) {
      t = toleration("maint", "Equal", "soon", "NoSchedule");
    } else {
      t = toleration(null, "Exists", null, null);
    }
    return List.of(t);
  }

  private CapacityRequirements pickCapacity() {
    if (!chance(0.07)) {
      return null;
    }
    CapacityRequirements c = new CapacityRequirements();
    c.setRequests(
        new LinkedHashMap<>(
            Map.of("bandwidth", new Quantity(pick(new String[] {"20", "35", "60"})))));
    return c;
  }
}
