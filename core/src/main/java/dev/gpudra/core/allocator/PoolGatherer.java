package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.Quantities;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.Counter;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Collects the pools whose devices a node can use, as Kubernetes' allocator does.
 *
 * <ul>
 *   <li>A slice is relevant when its node name, {@code allNodes}, node selector or (with per-device
 *       node selection) any of its devices selects the node; slices with none of these set are
 *       ignored.
 *   <li>Per pool only the newest generation among relevant slices counts.
 *   <li>A pool is complete when it has {@code resourceSliceCount} slices of that generation; if the
 *       relevant ones fall short, all slices of the pool are consulted: a newer generation
 *       elsewhere makes the pool obsolete (ignored), too few slices make it incomplete.
 *   <li>Duplicate device names, duplicate counter sets or consumption of unknown counters make the
 *       pool invalid.
 *   <li>Pools are ordered by (driver, pool name), those with binding conditions last; slices by
 *       name.
 * </ul>
 */
final class PoolGatherer {
  private PoolGatherer() {}

  static List<Pool> gather(
      Node node, List<SliceEntry> slicesForNode, Function<PoolId, List<SliceEntry>> poolSlices) {
    Map<PoolId, List<SliceEntry>> pools = new LinkedHashMap<>();
    for (SliceEntry slice : slicesForNode) {
      if (isRelevant(node, slice)) {
        addSlice(pools, slice);
      }
    }
    List<Pool> result = new ArrayList<>();
    List<Pool> withBindingConditions = new ArrayList<>();
    for (Map.Entry<PoolId, List<SliceEntry>> e : pools.entrySet()) {
      List<SliceEntry> slices = e.getValue();
      SliceEntry first = slices.get(0);
      Pool pool;
      if (slices.size() == first.resourceSliceCount) {
        pool = build(e.getKey(), slices, List.of());
      } else {
        List<SliceEntry> all = slicesOfGeneration(poolSlices, e.getKey(), first.generation);
        if (all == null) {
          continue; // obsolete: the driver is replacing this generation
        }
        if (all.size() != first.resourceSliceCount) {
          result.add(Pool.incomplete(e.getKey()));
          continue;
        }
        pool = build(e.getKey(), slices, all);
      }
      (hasBindingConditions(pool) ? withBindingConditions : result).add(pool);
    }
    result.sort(Comparator.comparing(Pool::id));
    withBindingConditions.sort(Comparator.comparing(Pool::id));
    result.addAll(withBindingConditions);
    return result;
  }

  private static boolean isRelevant(Node node, SliceEntry slice) {
    ResourceSliceSpec spec = slice.spec();
    boolean allNodes = Boolean.TRUE.equals(spec.getAllNodes());
    if (slice.nodeName() != null || allNodes || spec.getNodeSelector() != null) {
      return match(node, slice.nodeName(), allNodes, spec.getNodeSelector(), slice);
    }
    if (slice.perDeviceNodeSelection) {
      for (DeviceEntry d : slice.devices) {
        if (match(
            node,
            d.device.getNodeName(),
            Boolean.TRUE.equals(d.device.getAllNodes()),
            d.device.getNodeSelector(),
            slice)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean match(
      Node node,
      String nodeName,
      boolean allNodes,
      io.fabric8.kubernetes.api.model.NodeSelector selector,
      SliceEntry slice) {
    try {
      return NodeMatcher.matches(node, nodeName, allNodes, selector);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          "gather pool information: failed to perform node selection for slice "
              + slice.name
              + ": "
              + e.getMessage());
    }
  }

  private static void addSlice(Map<PoolId, List<SliceEntry>> pools, SliceEntry slice) {
    List<SliceEntry> existing = pools.get(slice.pool);
    if (existing == null || slice.generation > existing.get(0).generation) {
      List<SliceEntry> fresh = new ArrayList<>();
      fresh.add(slice);
      pools.put(slice.pool, fresh);
    } else if (slice.generation == existing.get(0).generation) {
      existing.add(slice);
    }
  }

  /** All slices of the pool with this generation, or null when a newer generation exists. */
  private static List<SliceEntry> slicesOfGeneration(
      Function<PoolId, List<SliceEntry>> poolSlices, PoolId pool, long generation) {
    List<SliceEntry> same = new ArrayList<>();
    for (SliceEntry s : poolSlices.apply(pool)) {
      if (s.generation > generation) {
        return null;
      }
      if (s.generation == generation) {
        same.add(s);
      }
    }
    return same;
  }

  private static Pool build(PoolId id, List<SliceEntry> forNode, List<SliceEntry> allOfPool) {
    List<SliceEntry> sorted = new ArrayList<>(forNode);
    sorted.sort(Comparator.comparing(s -> s.name));
    List<SliceEntry> deviceSlices = new ArrayList<>();
    List<SliceEntry> counterSlices = new ArrayList<>();
    List<SliceEntry> others = new ArrayList<>();
    for (SliceEntry s : sorted) {
      (s.hasSharedCounters ? counterSlices : deviceSlices).add(s);
    }
    if (forNode.size() < allOfPool.size()) {
      Set<String> seen = new HashSet<>();
      forNode.forEach(s -> seen.add(s.name));
      for (SliceEntry s : allOfPool) {
        if (!seen.contains(s.name)) {
          (s.hasSharedCounters ? counterSlices : others).add(s);
        }
      }
    }
    Set<String> names = new HashSet<>();
    for (SliceEntry s : deviceSlices) {
      for (DeviceEntry d : s.devices) {
        if (!names.add(d.id.device())) {
          return Pool.invalid(id, "duplicate device name " + d.id.device());
        }
      }
    }
    Map<String, Map<String, BigDecimal>> counterSets = new HashMap<>();
    for (SliceEntry s : counterSlices) {
      for (CounterSet set : s.spec().getSharedCounters()) {
        if (counterSets.containsKey(set.getName())) {
          return Pool.invalid(id, "duplicate counter set name " + set.getName());
        }
        Map<String, BigDecimal> counters = new HashMap<>();
        if (set.getCounters() != null) {
          for (Map.Entry<String, Counter> c : set.getCounters().entrySet()) {
            counters.put(c.getKey(), Quantities.of(c.getValue().getValue()).value());
          }
        }
        counterSets.put(set.getName(), Map.copyOf(counters));
      }
    }
    String unknown = unknownCounter(counterSets, deviceSlices);
    if (unknown == null) {
      unknown = unknownCounter(counterSets, others);
    }
    if (unknown != null) {
      return Pool.invalid(id, unknown);
    }
    return new Pool(id, false, null, deviceSlices, others, counterSets);
  }

  private static String unknownCounter(
      Map<String, Map<String, BigDecimal>> counterSets, List<SliceEntry> slices) {
    for (SliceEntry s : slices) {
      for (DeviceEntry d : s.devices) {
        for (DeviceCounterConsumption c : consumption(d.device)) {
          Map<String, BigDecimal> set = counterSets.get(c.getCounterSet());
          if (set == null) {
            return "counter set " + c.getCounterSet() + " not found";
          }
          if (c.getCounters() != null) {
            for (String name : c.getCounters().keySet()) {
              if (!set.containsKey(name)) {
                return "counter " + name + " not found in counter set " + c.getCounterSet();
              }
            }
          }
        }
      }
    }
    return null;
  }

  static List<DeviceCounterConsumption> consumption(Device device) {
    return NodeMatcher.nullToEmpty(device.getConsumesCounters());
  }

  private static boolean hasBindingConditions(Pool pool) {
    for (SliceEntry s : pool.deviceSlices()) {
      for (DeviceEntry d : s.devices) {
        if (d.hasBindingConditions) {
          return true;
        }
      }
    }
    return false;
  }
}
