package dev.gpudra.core.explain;

import dev.gpudra.core.explain.ClusterDevices.Candidate;
import dev.gpudra.core.explain.ClusterDevices.CounterKey;
import dev.gpudra.core.explain.ClusterDevices.DeviceKey;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the ResourceSlices of a cluster state publish, as diagnosis sees it: the devices it can
 * evaluate (in slice order, each {@link Candidate#index() indexed} by its position), which nodes
 * have devices it cannot, and the shared counters' totals. Depends on the slices alone, so one
 * instance serves every cluster state with the same slices, and with it the selector clauses
 * compiled against its devices and what they found on each.
 *
 * <p>Read-only after construction apart from the clause memo, which is concurrent. Thread-safe.
 */
final class PublishedDevices {

  /** Memo cells (clauses x devices) kept before the clause memo starts over. */
  private static final int MAX_CLAUSE_CELLS = 1 << 20;

  private final List<DeviceViewCache.SliceView> views;
  private final List<Candidate> devices = new ArrayList<>();
  private final Map<DeviceKey, Candidate> byKey = new HashMap<>();
  private final Map<CounterKey, BigDecimal> counterTotal = new HashMap<>();

  /** Nodes with published devices left out here (the allocator may still see them). */
  private final Set<String> partlySeenNodes = new HashSet<>();

  /** Whether devices not bound to one node were left out here. */
  private boolean partlySeenElsewhere;

  /** Nodes that slices name; null when some slice names none (it may serve any node). */
  private Set<String> slicedNodes = new HashSet<>();

  /** Selector clauses by owner and expression, with per-device memos over {@link #devices}. */
  private final Map<String, Optional<List<ClauseCheck>>> clauses = new ConcurrentHashMap<>();

  /**
   * @param slices every slice of the cluster state
   * @param views the view of each of {@code slices}, in the same order
   */
  PublishedDevices(List<ResourceSlice> slices, List<DeviceViewCache.SliceView> views) {
    this.views = List.copyOf(views);
    IdentityHashMap<ResourceSlice, DeviceViewCache.SliceView> viewOf = new IdentityHashMap<>();
    for (int i = 0; i < slices.size(); i++) {
      viewOf.put(slices.get(i), views.get(i));
    }
    List<ResourceSlice> usable = usableSlices(slices);
    Set<ResourceSlice> used = Collections.newSetFromMap(new IdentityHashMap<>());
    used.addAll(usable);
    for (ResourceSlice slice : slices) {
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
      for (CounterSet set : ClusterDevices.nullToEmpty(spec.getSharedCounters())) {
        if (set.getCounters() != null) {
          set.getCounters()
              .forEach(
                  (name, counter) ->
                      counterTotal.put(
                          new CounterKey(driver, pool, set.getName(), name),
                          ClusterDevices.amount(counter.getValue())));
        }
      }
      DeviceViewCache.SliceView view = viewOf.get(slice);
      if (view.partial()) {
        leftOut(slice);
      }
      for (Candidate cached : view.devices()) {
        Candidate candidate = cached.at(devices.size());
        devices.add(candidate);
        byKey.put(candidate.key(), candidate);
      }
    }
  }

  /** Whether these devices came from exactly {@code others}: the same slice views, in order. */
  boolean builtFrom(List<DeviceViewCache.SliceView> others) {
    if (others.size() != views.size()) {
      return false;
    }
    for (int i = 0; i < views.size(); i++) {
      if (!sameView(views.get(i), others.get(i))) {
        return false;
      }
    }
    return true;
  }

  @SuppressWarnings("ReferenceEquality") // a view object stands for one version of one slice
  private static boolean sameView(DeviceViewCache.SliceView a, DeviceViewCache.SliceView b) {
    return a == b;
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
      Set<String> names = new HashSet<>();
      boolean duplicate = false;
      for (ResourceSlice s : current) {
        for (Device d : ClusterDevices.nullToEmpty(s.getSpec().getDevices())) {
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

  Candidate byKey(DeviceKey key) {
    return byKey.get(key);
  }

  /** See {@link ClusterDevices#seesAllOf}. */
  boolean seesAllOf(String node) {
    return !partlySeenElsewhere && !partlySeenNodes.contains(node);
  }

  /** Whether no slice can serve {@code node}: none names it, and every slice names a node. */
  boolean noSlicesFor(String node) {
    return slicedNodes != null && !slicedNodes.contains(node);
  }

  /** The counter's value in its slice, or null when no slice of the pool defines it. */
  BigDecimal counterTotal(CounterKey key) {
    return counterTotal.get(key);
  }

  /**
   * The clauses of a selector, compiled against these devices on first use: {@code compile}'s
   * result is kept (bounded) so that later cluster states with the same slices reuse what the
   * clauses found on each device.
   */
  Optional<List<ClauseCheck>> clauses(
      String key, java.util.function.Supplier<Optional<List<ClauseCheck>>> compile) {
    Optional<List<ClauseCheck>> known = clauses.get(key);
    if (known != null) {
      return known;
    }
    if ((long) (clauses.size() + 1) * Math.max(1, devices.size()) > MAX_CLAUSE_CELLS) {
      clauses.clear();
    }
    return clauses.computeIfAbsent(key, k -> compile.get());
  }
}
