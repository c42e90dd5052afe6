package dev.gpudra.core.explain;

import dev.gpudra.core.allocator.NodeSelection;
import dev.gpudra.core.cel.DeviceInput;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.math.BigDecimal;
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
   * @param index its position in the {@link #devices()} of the cluster state it belongs to, which
   *     per-state memos index by; -1 while it belongs to none
   */
  record Candidate(
      DeviceKey key,
      String node,
      boolean allNodes,
      NodeSelector nodeSelector,
      Device device,
      DeviceInput input,
      String label,
      int index) {

    /** The same device at position {@code i} of a cluster state. */
    Candidate at(int i) {
      return new Candidate(key, node, allNodes, nodeSelector, device, input, label, i);
    }
  }

  private final PublishedDevices published;
  private final Map<DeviceKey, Set<String>> holders = new HashMap<>();
  private final Map<DeviceKey, Map<String, BigDecimal>> consumedCapacity = new HashMap<>();
  private final Map<CounterKey, BigDecimal> counterUsed = new HashMap<>();
  private final Map<CounterKey, Set<String>> counterHolders = new HashMap<>();

  /** Builds every device's view anew; for one-off use. */
  ClusterDevices(List<ResourceSlice> allSlices, List<ResourceClaim> claims) {
    this(allSlices, claims, new DeviceViewCache(0));
  }

  /**
   * Takes the published devices from {@code views}, which builds views only for slices it has not
   * seen in this version, and reuses the whole set while no slice changed.
   */
  ClusterDevices(List<ResourceSlice> allSlices, List<ResourceClaim> claims, DeviceViewCache views) {
    this.published = views.published(allSlices);
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
        Candidate held = published.byKey(key);
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

  /**
   * Whether {@link #devices()} holds every device the allocator could use on {@code node}: false
   * where a pool was left out (incomplete, being replaced, duplicate names) or a device was
   * (binding conditions, attributes diagnosis cannot read).
   */
  boolean seesAllOf(String node) {
    return published.seesAllOf(node);
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
    return published.noSlicesFor(node);
  }

  /** The published devices, with the clauses compiled against them. */
  PublishedDevices published() {
    return published;
  }

  List<Candidate> devices() {
    return published.devices();
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
    return published.counterTotal(key);
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

  static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
