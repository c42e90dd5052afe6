package dev.gpudra.core.allocator;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A pool as seen from one node: its newest generation's slices that target the node, the other
 * slices of that generation (whose allocated devices still consume shared counters), and the pool's
 * counter sets.
 *
 * @param id the pool
 * @param incomplete not all slices of the newest generation are published yet
 * @param invalidReason why the pool is inconsistent, or null when it is valid
 * @param deviceSlices slices with devices for the node, sorted by name
 * @param otherSlices slices of the pool that do not target the node
 * @param counterSets available counters per counter set, before any allocation
 */
record Pool(
    PoolId id,
    boolean incomplete,
    String invalidReason,
    List<SliceEntry> deviceSlices,
    List<SliceEntry> otherSlices,
    Map<String, Map<String, BigDecimal>> counterSets) {

  Pool {
    Objects.requireNonNull(id, "id");
    deviceSlices = List.copyOf(deviceSlices);
    otherSlices = List.copyOf(otherSlices);
    counterSets = Map.copyOf(counterSets);
  }

  static Pool incomplete(PoolId id) {
    return new Pool(id, true, null, List.of(), List.of(), Map.of());
  }

  static Pool invalid(PoolId id, String reason) {
    return new Pool(id, false, reason, List.of(), List.of(), Map.of());
  }

  boolean invalid() {
    return invalidReason != null;
  }

  /** Devices may be allocated from it. */
  boolean usable() {
    return !incomplete && invalidReason == null;
  }
}
