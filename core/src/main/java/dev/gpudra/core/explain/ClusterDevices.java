package dev.gpudra.core.explain;

import dev.gpudra.core.allocator.NodeSelection;
import dev.gpudra.core.cel.DeviceInput;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The devices of a cluster as pending-claim diagnosis sees them: each with its node, its selector
 * input and a label people recognise, plus who holds what (devices, consumable capacity, shared
 * counters). Built once per cluster state; read-only afterwards, so thread-safe.
 */
final class ClusterDevices {

  /** Identifies a device across the cluster. */
  record DeviceKey(String driver, String pool, String device) {}

  /** Identifies one counter of a counter set in a pool. */
  record CounterKey(String driver, String pool, String set, String counter) {}

  /**
   * One published device.
   *
   * @param node the node of its slice, or null for devices several nodes see
   * @param allNodes for those: whether every node sees it
   * @param nodeSelector for those: which nodes see it, when not all
   */
  record Candidate(
      DeviceKey key,
      String node,
      boolean allNodes,
      NodeSelector nodeSelector,
      Device device,
      DeviceInput input,
      String label) {}

  private final List<Candidate> devices = new ArrayList<>();
  private final Map<DeviceKey, Candidate> byKey = new HashMap<>();
  private final Map<DeviceKey, Set<String>> holders = new HashMap<>();
  private final Map<DeviceKey, Map<String, BigDecimal>> consumedCapacity = new HashMap<>();
  private final Map<CounterKey, BigDecimal> counterTotal = new HashMap<>();
  private final Map<CounterKey, BigDecimal> counterUsed = new HashMap<>();
  private final Map<CounterKey, Set<String>> counterHolders = new HashMap<>();

  /** Nodes with published devices left out here (the allocator may still see them). */
  private final Set<String> partlySeenNodes = new java.util.HashSet<>();

  /** Whether devices not bound to one node were left out here. */
  private boolean partlySeenElsewhere;

  /** Nodes that slices name; null when some slice names none (it may serve any node). */
  private Set<String> slicedNodes = new java.util.HashSet<>();

  ClusterDevices(List<ResourceSlice> allSlices, List<ResourceClaim> claims) {
    List<ResourceSlice> usable = usableSlices(allSlices);
    Set<ResourceSlice> used =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    used.addAll(usable);
    for (ResourceSlice slice : allSlices) {
      String sliceNode = slice.getSpec() == null ? null : slice.getSpec().getNodeName();
      if (sliceNode == null || sliceNode.isEmpty()) {
        slicedNodes = null;
      } else if (slicedNodes != null) {
        slicedNodes.add(sliceNode);
      }
      if (!used.contains(slice)) {
        leftOut(slice);
      }
    }
    for (ResourceSlice slice : usable) {
      var spec = slice.getSpec();
      if (spec == null || spec.getPool() == null) {
        continue;
      }
      String driver = spec.getDriver();
      String pool = spec.getPool().getName();
      String node =
          spec.getNodeName() == null || spec.getNodeName().isEmpty() ? null : spec.getNodeName();
      for (CounterSet set : nullToEmpty(spec.getSharedCounters())) {
        if (set.getCounters() != null) {
          set.getCounters()
              .forEach(
                  (name, counter) ->
                      counterTotal.put(
                          new CounterKey(driver, pool, set.getName(), name),
                          amount(counter.getValue())));
        }
      }
      for (Device device : nullToEmpty(spec.getDevices())) {
        if (device.getBindingConditions() != null && !device.getBindingConditions().isEmpty()) {
          leftOut(slice);
          continue;
        }
        DeviceInput input;
        try {
          input = DeviceInput.of(driver, device);
        } catch (IllegalArgumentException e) {
          leftOut(slice);
          continue;
        }
        boolean perDevice = Boolean.TRUE.equals(spec.getPerDeviceNodeSelection());
        String deviceNode = perDevice ? device.getNodeName() : null;
        Candidate candidate =
            new Candidate(
                new DeviceKey(driver, pool, device.getName()),
                node != null
                    ? node
                    : deviceNode == null || deviceNode.isEmpty() ? null : deviceNode,
                Boolean.TRUE.equals(perDevice ? device.getAllNodes() : spec.getAllNodes()),
                perDevice ? device.getNodeSelector() : spec.getNodeSelector(),
                device,
                input,
                label(driver, device));
        devices.add(candidate);
        byKey.put(candidate.key(), candidate);
      }
    }
    for (ResourceClaim claim : claims) {
      if (claim.getStatus() == null
          || claim.getStatus().getAllocation() == null
          || claim.getStatus().getAllocation().getDevices() == null) {
        continue;
      }
      String holder = claim.getMetadata().getNamespace() + "/" + claim.getMetadata().getName();
      for (DeviceRequestAllocationResult r :
          nullToEmpty(claim.getStatus().getAllocation().getDevices().getResults())) {
        if (Boolean.TRUE.equals(r.getAdminAccess())) {
          continue;
        }
        DeviceKey key = new DeviceKey(r.getDriver(), r.getPool(), r.getDevice());
        holders.computeIfAbsent(key, k -> new TreeSet<>()).add(holder);
        if (r.getConsumedCapacity() != null) {
          r.getConsumedCapacity()
              .forEach(
                  (name, q) ->
                      consumedCapacity
                          .computeIfAbsent(key, k -> new HashMap<>())
                          .merge(name, amount(q), BigDecimal::add));
        }
        Candidate held = byKey.get(key);
        if (held != null) {
          for (DeviceCounterConsumption c : nullToEmpty(held.device().getConsumesCounters())) {
            if (c.getCounters() == null) {
              continue;
            }
            c.getCounters()
                .forEach(
                    (name, counter) -> {
                      CounterKey ck =
                          new CounterKey(key.driver(), key.pool(), c.getCounterSet(), name);
                      counterUsed.merge(ck, amount(counter.getValue()), BigDecimal::add);
                      counterHolders.computeIfAbsent(ck, k -> new TreeSet<>()).add(holder);
                    });
          }
        }
      }
    }
  }

  /** Records that devices of {@code slice} are not among {@link #devices()}. */
  private void leftOut(ResourceSlice slice) {
    var spec = slice.getSpec();
    String node = spec == null ? null : spec.getNodeName();
    if (node == null || node.isEmpty()) {
      partlySeenElsewhere = true;
    } else {
      partlySeenNodes.add(node);
    }
  }

  /**
   * Whether {@link #devices()} holds every device the allocator could use on {@code node}: false
   * where a pool was left out (incomplete, being replaced, duplicate names) or a device was
   * (binding conditions, attributes diagnosis cannot read).
   */
  boolean seesAllOf(String node) {
    return !partlySeenElsewhere && !partlySeenNodes.contains(node);
  }

  /**
   * The nodes of {@code scope} (whose names are {@code names}) that can use {@code device}: its own
   * node, or those its node selection admits; empty when none.
   */
  static List<String> seenBy(Candidate device, Set<String> names, List<Node> scope) {
    if (device.node() != null) {
      return names.contains(device.node()) ? List.of(device.node()) : List.of();
    }
    return scope.stream()
        .filter(n -> NodeSelection.visible(n, null, device.allNodes(), device.nodeSelector()))
        .map(n -> n.getMetadata().getName())
        .toList();
  }

  /** Whether no slice can serve {@code node}: none names it, and every slice names a node. */
  boolean noSlicesFor(String node) {
    return slicedNodes != null && !slicedNodes.contains(node);
  }

  /**
   * The slices the allocator uses: per pool those of the newest generation, and only when the pool
   * is complete and has no duplicate device names (the allocator reports such pools itself).
   */
  private static List<ResourceSlice> usableSlices(List<ResourceSlice> slices) {
    Map<List<String>, List<ResourceSlice>> byPool = new HashMap<>();
    for (ResourceSlice s : slices) {
      if (s.getSpec() != null && s.getSpec().getPool() != null) {
        byPool
            .computeIfAbsent(
                List.of(s.getSpec().getDriver(), s.getSpec().getPool().getName()),
                k -> new ArrayList<>())
            .add(s);
      }
    }
    List<ResourceSlice> out = new ArrayList<>();
    for (List<ResourceSlice> pool : byPool.values()) {
      long newest = pool.stream().mapToLong(s -> generation(s)).max().orElse(0);
      List<ResourceSlice> current = pool.stream().filter(s -> generation(s) == newest).toList();
      Long count = current.get(0).getSpec().getPool().getResourceSliceCount();
      Set<String> names = new java.util.HashSet<>();
      boolean duplicate = false;
      for (ResourceSlice s : current) {
        for (Device d : nullToEmpty(s.getSpec().getDevices())) {
          duplicate |= !names.add(d.getName());
        }
      }
      if (!duplicate && (count == null || current.size() >= count)) {
        out.addAll(current);
      }
    }
    return out;
  }

  private static long generation(ResourceSlice s) {
    Long g = s.getSpec().getPool().getGeneration();
    return g == null ? 0 : g;
  }

  List<Candidate> devices() {
    return devices;
  }

  /** Claims that hold the device, sorted; empty when it is free. */
  Set<String> holders(DeviceKey key) {
    return holders.getOrDefault(key, Set.of());
  }

  /** Capacity {@code name} of the device that claims consume now. */
  BigDecimal consumed(DeviceKey key, String name) {
    return consumedCapacity.getOrDefault(key, Map.of()).getOrDefault(name, BigDecimal.ZERO);
  }

  /** The counter's value in its slice, or null when no slice of the pool defines it. */
  BigDecimal counterTotal(CounterKey key) {
    return counterTotal.get(key);
  }

  BigDecimal counterUsed(CounterKey key) {
    return counterUsed.getOrDefault(key, BigDecimal.ZERO);
  }

  Set<String> counterHolders(CounterKey key) {
    return counterHolders.getOrDefault(key, Set.of());
  }

  static BigDecimal amount(Quantity q) {
    return q == null ? BigDecimal.ZERO : Quantity.getAmountInBytes(q);
  }

  /** What people call the device: its product name (and MIG profile), else its name. */
  private static String label(String driver, Device device) {
    Map<String, DeviceAttribute> attributes =
        device.getAttributes() == null ? Map.of() : device.getAttributes();
    String product = string(attributes, driver, "productName");
    String profile = string(attributes, driver, "profile");
    if (product == null) {
      return profile != null ? "MIG " + profile : device.getName();
    }
    return profile != null ? product + " MIG " + profile : product;
  }

  private static String string(
      Map<String, DeviceAttribute> attributes, String driver, String name) {
    DeviceAttribute a = attributes.get(name);
    if (a == null) {
      a = attributes.get(driver + "/" + name);
    }
    return a == null ? null : a.getString();
  }

  static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
