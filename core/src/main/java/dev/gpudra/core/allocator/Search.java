package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceToleration;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The depth-first search of Kubernetes' structured allocator, for one set of claims on one node.
 *
 * <p>Claims are allocated in order, then their requests in order; a request with sub-requests tries
 * them in order and keeps the first that leads to a full solution. For each device slot the
 * candidates are walked in pool, slice, device order, and later slots of the same request start
 * after the previous slot's device, so a request enumerates combinations, not permutations. Each
 * candidate is checked (in use, selectors, capacity, counters, taints, constraints) and tentatively
 * taken; when the rest of the search fails it is given back and the next candidate tried. The first
 * full solution wins; there is no scoring.
 *
 * <p>One instance serves one allocation and is not thread-safe.
 */
final class Search {
  /** Why a subtree failed: plainly, or because the claim would exceed its result limit. */
  enum Result {
    SUCCESS,
    FAIL,
    MAX_SIZE_EXCEEDED
  }

  private final List<Pool> pools;
  private final RequestPlanner.Plan plan;
  private final SelectorMatcher matcher;
  private final AllocatedDevices allocated;
  private final CounterLedger counters;
  private final StepCounter steps;
  private final Map<DeviceId, Set<Integer>> allocating = new HashMap<>();
  private final Map<DeviceId, Map<String, BigDecimal>> allocatingCapacity = new HashMap<>();
  private final List<List<ChosenDevice>> results = new ArrayList<>();
  private final int[][] selectedSubRequest;

  Search(
      List<Pool> pools,
      RequestPlanner.Plan plan,
      SelectorMatcher matcher,
      AllocatedDevices allocated,
      CounterLedger counters,
      StepCounter steps) {
    this.pools = pools;
    this.plan = plan;
    this.matcher = matcher;
    this.allocated = allocated;
    this.counters = counters;
    this.steps = steps;
    this.selectedSubRequest = new int[plan.slots().size()][];
    for (int c = 0; c < plan.slots().size(); c++) {
      results.add(new ArrayList<>());
      selectedSubRequest[c] = new int[plan.slots().get(c).size()];
    }
  }

  List<List<ChosenDevice>> results() {
    return results;
  }

  int selectedSubRequest(int claim, int request) {
    return selectedSubRequest[claim][request];
  }

  Result run() {
    return allocateOne(0, 0, 0, 0, false, 0, 0, 0);
  }

  private Result allocateOne(
      int claim,
      int request,
      int sub,
      int deviceSlot,
      boolean inSubRequest,
      int startPool,
      int startSlice,
      int startDevice) {
    steps.step();
    if (claim >= plan.slots().size()) {
      return Result.SUCCESS;
    }
    List<List<RequestSlot>> requests = plan.slots().get(claim);
    if (request >= requests.size()) {
      Result next = allocateOne(claim + 1, 0, 0, 0, false, 0, 0, 0);
      // Exceeding the limit in a later claim says nothing about this claim's choices.
      return next == Result.MAX_SIZE_EXCEEDED ? Result.FAIL : next;
    }
    List<RequestSlot> alternatives = requests.get(request);
    if (!inSubRequest && alternatives.get(0).view().parentName() != null) {
      boolean allExceeded = true;
      for (int s = 0; s < alternatives.size(); s++) {
        Result r = allocateOne(claim, request, s, deviceSlot, true, 0, 0, 0);
        if (r == Result.MAX_SIZE_EXCEEDED) {
          continue;
        }
        allExceeded = false;
        if (r == Result.SUCCESS) {
          selectedSubRequest[claim][request] = s;
          return Result.SUCCESS;
        }
      }
      return allExceeded ? Result.MAX_SIZE_EXCEEDED : Result.FAIL;
    }
    RequestSlot slot = alternatives.get(sub);
    RequestView view = slot.view();
    if (view.wantsAll() && slot.allDevices().isEmpty()) {
      return Result.FAIL;
    }
    if (deviceSlot >= slot.numDevices()) {
      return allocateOne(claim, request + 1, 0, 0, false, 0, 0, 0);
    }
    int remaining = slot.numDevices() - deviceSlot;
    if (remaining > RequestPlanner.MAX_RESULTS - results.get(claim).size()) {
      return Result.MAX_SIZE_EXCEEDED;
    }
    if (view.wantsAll()) {
      RequestSlot.Candidate candidate = slot.allDevices().get(deviceSlot);
      Runnable undo = allocateDevice(slot, candidate.device(), candidate.pool(), true);
      if (undo == null) {
        // All devices are needed, in any order: failing one fails the request.
        return Result.FAIL;
      }
      Result r = allocateOne(claim, request, sub, deviceSlot + 1, inSubRequest, 0, 0, 0);
      if (r != Result.SUCCESS) {
        undo.run();
      }
      return r;
    }
    for (int p = startPool; p < pools.size(); p++) {
      Pool pool = pools.get(p);
      if (!pool.usable()) {
        continue;
      }
      List<SliceEntry> slices = pool.deviceSlices();
      for (int s = p == startPool ? startSlice : 0; s < slices.size(); s++) {
        List<DeviceEntry> devices = slices.get(s).devices;
        int d0 = p == startPool && s == startSlice ? startDevice : 0;
        for (int d = d0; d < devices.size(); d++) {
          DeviceEntry device = devices.get(d);
          if (view.adminAccess() ? isAllocatingFor(device.id, claim) : isInUse(device.id)) {
            continue;
          }
          if (!matcher.isSelectable(slot, device)) {
            continue;
          }
          if (!capacityFits(view, device)) {
            continue;
          }
          Runnable undo = allocateDevice(slot, device, pool, false);
          if (undo == null) {
            continue;
          }
          Result r = allocateOne(claim, request, sub, deviceSlot + 1, inSubRequest, p, s, d + 1);
          if (r == Result.SUCCESS) {
            return r;
          }
          undo.run();
          if (r == Result.MAX_SIZE_EXCEEDED) {
            return r;
          }
        }
      }
    }
    return Result.FAIL;
  }

  private boolean capacityFits(RequestView view, DeviceEntry device) {
    return CapacityCheck.fits(
        view,
        device,
        allocated.consumedCapacity(device.id),
        allocatingCapacity.getOrDefault(device.id, Map.of()));
  }

  /**
   * Takes the device for the slot if nothing forbids it, returning how to give it back; null if it
   * cannot be taken.
   *
   * @param must the caller needs exactly this device ({@code All}); a constraint that rejects it
   *     makes the claim invalid rather than unsatisfiable
   */
  private Runnable allocateDevice(RequestSlot slot, DeviceEntry device, Pool pool, boolean must) {
    RequestView view = slot.view();
    int claim = slot.claimIndex();
    boolean multi = device.allowMultipleAllocations;
    if (!multi && view.adminAccess() && isAllocatingFor(device.id, claim)) {
      return null;
    }
    if (!view.adminAccess() && isInUse(device.id)) {
      return null;
    }
    boolean skipCounters = multi && isCapacityInUse(device.id);
    boolean countersReserved = false;
    if (!skipCounters && device.consumesCounters) {
      if (!counters.tryReserve(pool, device)) {
        return null;
      }
      countersReserved = true;
    }
    Runnable releaseCounters = countersReserved ? () -> counters.release(pool, device) : () -> {};
    if (taintPrevents(device, view)) {
      releaseCounters.run();
      return null;
    }
    List<ClaimConstraint> constraints = plan.constraints().get(claim);
    for (int i = 0; i < constraints.size(); i++) {
      if (!constraints.get(i).add(view, device)) {
        for (int j = i - 1; j >= 0; j--) {
          constraints.get(j).remove(view, device);
        }
        releaseCounters.run();
        if (must) {
          throw new InvalidInputException(
              "claim "
                  + SelectorMatcher.claimName(matcher.claim(claim))
                  + ", request "
                  + view.name()
                  + ": cannot add device "
                  + device.id
                  + " because a claim constraint would not be satisfied");
        }
        return null;
      }
    }
    if (!multi) {
      allocating.computeIfAbsent(device.id, k -> new HashSet<>()).add(claim);
    }
    Map<String, BigDecimal> consumed = null;
    if (!capacityFits(view, device)) {
      undoTaking(view, device, claim, multi, constraints, releaseCounters, null, false);
      return null;
    }
    boolean capacityEntryExisted = allocatingCapacity.containsKey(device.id);
    if (multi) {
      consumed = CapacityCheck.consumption(view, device);
      Map<String, BigDecimal> sum =
          allocatingCapacity.computeIfAbsent(device.id, k -> new HashMap<>());
      consumed.forEach((k, v) -> sum.merge(k, v, BigDecimal::add));
    }
    List<ChosenDevice> chosen = results.get(claim);
    chosen.add(new ChosenDevice(view, device, consumed));
    int size = chosen.size();
    Map<String, BigDecimal> taken = consumed;
    return () -> {
      chosen.subList(size - 1, chosen.size()).clear();
      undoTaking(
          view, device, claim, multi, constraints, releaseCounters, taken, capacityEntryExisted);
    };
  }

  private void undoTaking(
      RequestView view,
      DeviceEntry device,
      int claim,
      boolean multi,
      List<ClaimConstraint> constraints,
      Runnable releaseCounters,
      Map<String, BigDecimal> consumed,
      boolean capacityEntryExisted) {
    if (consumed != null) {
      Map<String, BigDecimal> sum = allocatingCapacity.get(device.id);
      consumed.forEach((k, v) -> sum.merge(k, v.negate(), BigDecimal::add));
      // An entry that only this share created disappears with it: the device is no longer
      // "being shared" in this search, so its counters must be charged again next time.
      if (!capacityEntryExisted) {
        allocatingCapacity.remove(device.id);
      }
    }
    if (!multi) {
      allocating.get(device.id).remove(claim);
    }
    for (int j = constraints.size() - 1; j >= 0; j--) {
      constraints.get(j).remove(view, device);
    }
    releaseCounters.run();
  }

  private boolean isInUse(DeviceId id) {
    if (allocated.isExclusivelyAllocated(id)) {
      return true;
    }
    Set<Integer> claims = allocating.get(id);
    return claims != null && !claims.isEmpty();
  }

  private boolean isAllocatingFor(DeviceId id, int claim) {
    Set<Integer> claims = allocating.get(id);
    return claims != null && claims.contains(claim);
  }

  private boolean isCapacityInUse(DeviceId id) {
    return !allocated.consumedCapacity(id).isEmpty()
        || allocated.isShared(id)
        || allocatingCapacity.containsKey(id);
  }

  static boolean taintPrevents(DeviceEntry device, RequestView view) {
    return DeviceTaints.untolerated(device.device.getTaints(), view.tolerations()).isPresent();
  }

  static boolean tolerates(DeviceToleration t, DeviceTaint taint) {
    if (t.getEffect() != null
        && !t.getEffect().isEmpty()
        && !t.getEffect().equals(taint.getEffect())) {
      return false;
    }
    if (t.getKey() != null && !t.getKey().isEmpty() && !t.getKey().equals(taint.getKey())) {
      return false;
    }
    String op = t.getOperator() == null ? "" : t.getOperator();
    return switch (op) {
      case "", "Equal" -> nullToEmpty(t.getValue()).equals(nullToEmpty(taint.getValue()));
      case "Exists" -> true;
      default -> false;
    };
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
