package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.SelectorCache;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The structured-parameters allocator for {@code resource.k8s.io/v1}, with the semantics of
 * Kubernetes' own ({@code k8s.io/dynamic-resource-allocation/structured}, incubating variant).
 *
 * <p>Build one per snapshot of the cluster (slices, classes, claims that already hold devices),
 * then call {@link #allocate} per node and set of claims. Building indexes the slices by node once;
 * each allocation only looks at the node's slices and those shared by several nodes. Thread-safe:
 * allocations for different nodes may run concurrently.
 */
public final class Allocator {
  private final Map<String, DeviceClass> classes;
  private final AllocatedDevices allocated;
  private final SelectorCache selectors;
  private final Map<String, List<ResourceSlice>> slicesOnNode = new HashMap<>();
  private final List<ResourceSlice> sharedSlices = new ArrayList<>();
  private final List<ResourceSlice> allSlices;
  // Prepared lazily: an allocation only ever looks at one node's slices, the shared ones and,
  // for pools that look incomplete from the node, the rest of those pools.
  private final ConcurrentHashMap<String, List<SliceEntry>> preparedOnNode =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<PoolId, List<SliceEntry>> preparedPools =
      new ConcurrentHashMap<>();
  private volatile List<SliceEntry> preparedShared;
  private volatile Map<PoolId, List<ResourceSlice>> slicesByPool;
  private final ConcurrentHashMap<PoolId, Map<String, Map<String, BigDecimal>>> availableCounters =
      new ConcurrentHashMap<>();

  /**
   * Prepares an allocator.
   *
   * @param slices every ResourceSlice in the cluster
   * @param classes every DeviceClass
   * @param allocatedClaims claims whose {@code status.allocation} holds devices already
   * @param selectors compiled-selector cache, typically shared by all allocators of a process
   */
  public Allocator(
      List<ResourceSlice> slices,
      List<DeviceClass> classes,
      List<ResourceClaim> allocatedClaims,
      SelectorCache selectors) {
    this(slices, classes, new AllocatedDevices(allocatedClaims), selectors);
  }

  /**
   * Prepares an allocator with allocated devices accounted already, for callers that keep that
   * account up to date themselves (as the scheduler keeps it in its claim tracker).
   */
  public Allocator(
      List<ResourceSlice> slices,
      List<DeviceClass> classes,
      AllocatedDevices allocated,
      SelectorCache selectors) {
    Map<String, DeviceClass> byName = new LinkedHashMap<>();
    for (DeviceClass c : classes) {
      byName.put(c.getMetadata().getName(), c);
    }
    this.classes = Map.copyOf(byName);
    this.allocated = allocated;
    this.selectors = selectors;
    this.allSlices = List.copyOf(slices);
    for (ResourceSlice s : allSlices) {
      String node = s.getSpec().getNodeName();
      if (node != null && !node.isEmpty()) {
        slicesOnNode.computeIfAbsent(node, n -> new ArrayList<>()).add(s);
      } else {
        sharedSlices.add(s);
      }
    }
  }

  private static List<SliceEntry> prepare(List<ResourceSlice> slices) {
    List<SliceEntry> out = new ArrayList<>(slices.size());
    for (ResourceSlice s : slices) {
      out.add(new SliceEntry(s));
    }
    return List.copyOf(out);
  }

  private List<SliceEntry> shared() {
    List<SliceEntry> s = preparedShared;
    if (s == null) {
      s = prepare(sharedSlices);
      preparedShared = s;
    }
    return s;
  }

  /** All slices of a pool; only needed when the node's view of the pool looks incomplete. */
  private List<SliceEntry> poolSlices(PoolId pool) {
    return preparedPools.computeIfAbsent(pool, p -> prepare(byPool().getOrDefault(p, List.of())));
  }

  private Map<PoolId, List<ResourceSlice>> byPool() {
    Map<PoolId, List<ResourceSlice>> m = slicesByPool;
    if (m == null) {
      Map<PoolId, List<ResourceSlice>> built = new HashMap<>();
      for (ResourceSlice s : allSlices) {
        built
            .computeIfAbsent(
                new PoolId(s.getSpec().getDriver(), s.getSpec().getPool().getName()),
                p -> new ArrayList<>())
            .add(s);
      }
      m = Map.copyOf(built);
      slicesByPool = m;
    }
    return m;
  }

  /**
   * Allocates devices for all {@code claims} together on {@code node}, or explains why not.
   * Deterministic: the same input gives the same outcome.
   */
  public AllocationOutcome allocate(
      Node node, List<ResourceClaim> claims, AllocationBudget budget) {
    StepCounter steps = new StepCounter(budget, System.nanoTime());
    String nodeName = NodeMatcher.name(node);
    try {
      List<SliceEntry> forNode =
          new ArrayList<>(
              nodeName == null
                  ? List.of()
                  : preparedOnNode.computeIfAbsent(
                      nodeName, n -> prepare(slicesOnNode.getOrDefault(n, List.of()))));
      forNode.addAll(shared());
      List<Pool> pools = PoolGatherer.gather(node, forNode, this::poolSlices);
      SelectorMatcher matcher = new SelectorMatcher(selectors, node, claims);
      RequestPlanner.Plan plan = RequestPlanner.plan(claims, classes, pools, matcher);
      CounterLedger counters = new CounterLedger(availableCounters, allocated);
      Search search = new Search(pools, plan, matcher, allocated, counters, steps);
      Search.Result result = search.run();
      if (result == Search.Result.MAX_SIZE_EXCEEDED) {
        return new AllocationOutcome.Invalid("allocation max size exceeded", steps.steps());
      }
      if (result == Search.Result.FAIL) {
        return new AllocationOutcome.Unsatisfiable(
            Diagnoser.explain(nodeName, claims, pools, plan, matcher, allocated), steps.steps());
      }
      List<AllocationResult> results = new ArrayList<>();
      for (int c = 0; c < claims.size(); c++) {
        results.add(ResultAssembler.assemble(claims.get(c), c, search, plan, nodeName));
      }
      return new AllocationOutcome.Allocated(results, steps.steps());
    } catch (InvalidInputException e) {
      return new AllocationOutcome.Invalid(e.getMessage(), steps.steps());
    } catch (StepCounter.BudgetExceededException e) {
      return new AllocationOutcome.BudgetExceeded(e.getMessage(), steps.steps());
    }
  }
}
