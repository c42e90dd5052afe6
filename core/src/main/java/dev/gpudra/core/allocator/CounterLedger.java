package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.Quantities;
import io.fabric8.kubernetes.api.model.resource.v1.Counter;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shared-counter accounting for partitionable devices during one search.
 *
 * <p>What is available per pool (the counter sets minus what allocated devices consume) depends
 * only on the cluster state, so it is computed once per pool and kept by the {@link Allocator}
 * across searches. What the devices chosen in this search consume is tracked here and undone on
 * backtracking. A device fits when, after adding its consumption, no counter of its pool is
 * over-committed, including counters it does not itself consume.
 */
final class CounterLedger {
  private final Map<PoolId, Map<String, Map<String, BigDecimal>>> availableCache;
  private final AllocatedDevices allocated;
  private final Map<PoolId, Map<String, Map<String, BigDecimal>>> consumed = new HashMap<>();

  CounterLedger(
      ConcurrentHashMap<PoolId, Map<String, Map<String, BigDecimal>>> availableCache,
      AllocatedDevices allocated) {
    this.availableCache = availableCache;
    this.allocated = allocated;
  }

  /** Reserves the device's counters if they fit; returns false (reserving nothing) if not. */
  boolean tryReserve(Pool pool, DeviceEntry device) {
    Map<String, Map<String, BigDecimal>> available =
        availableCache.computeIfAbsent(pool.id(), id -> available(pool));
    Map<String, Map<String, BigDecimal>> used =
        consumed.computeIfAbsent(pool.id(), id -> new HashMap<>());
    apply(used, device, 1);
    for (Map.Entry<String, Map<String, BigDecimal>> set : available.entrySet()) {
      Map<String, BigDecimal> usedInSet = used.getOrDefault(set.getKey(), Map.of());
      for (Map.Entry<String, BigDecimal> counter : set.getValue().entrySet()) {
        BigDecimal u = usedInSet.getOrDefault(counter.getKey(), BigDecimal.ZERO);
        if (counter.getValue().compareTo(u) < 0) {
          apply(used, device, -1);
          return false;
        }
      }
    }
    return true;
  }

  /** Releases what {@link #tryReserve} reserved for the device. */
  void release(Pool pool, DeviceEntry device) {
    apply(consumed.get(pool.id()), device, -1);
  }

  private static void apply(
      Map<String, Map<String, BigDecimal>> used, DeviceEntry device, int sign) {
    for (DeviceCounterConsumption c : PoolGatherer.consumption(device.device)) {
      Map<String, BigDecimal> set = used.computeIfAbsent(c.getCounterSet(), k -> new HashMap<>());
      if (c.getCounters() == null) {
        continue;
      }
      for (Map.Entry<String, Counter> e : c.getCounters().entrySet()) {
        BigDecimal amount = Quantities.of(e.getValue().getValue()).value();
        set.merge(e.getKey(), sign > 0 ? amount : amount.negate(), BigDecimal::add);
      }
    }
  }

  private Map<String, Map<String, BigDecimal>> available(Pool pool) {
    Map<String, Map<String, BigDecimal>> left = new HashMap<>();
    pool.counterSets().forEach((name, counters) -> left.put(name, new HashMap<>(counters)));
    for (List<SliceEntry> slices : List.of(pool.deviceSlices(), pool.otherSlices())) {
      for (SliceEntry s : slices) {
        for (DeviceEntry d : s.devices) {
          if (!allocated.isAllocated(d.id)) {
            continue;
          }
          for (DeviceCounterConsumption c : PoolGatherer.consumption(d.device)) {
            Map<String, BigDecimal> set = left.get(c.getCounterSet());
            if (set == null || c.getCounters() == null) {
              continue;
            }
            for (Map.Entry<String, Counter> e : c.getCounters().entrySet()) {
              // May go negative when the cluster is over-committed: then nothing is available.
              set.computeIfPresent(
                  e.getKey(), (k, v) -> v.subtract(Quantities.of(e.getValue().getValue()).value()));
            }
          }
        }
      }
    }
    Map<String, Map<String, BigDecimal>> frozen = new HashMap<>();
    left.forEach((name, counters) -> frozen.put(name, Map.copyOf(counters)));
    return Map.copyOf(frozen);
  }
}
