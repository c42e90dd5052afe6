package dev.gpudra.core.allocator;

import dev.gpudra.core.allocator.UnsatisfiableReason.ConstraintOrCounterMismatch;
import dev.gpudra.core.allocator.UnsatisfiableReason.MatchingDevicesAllocated;
import dev.gpudra.core.allocator.UnsatisfiableReason.NoSlicesForNode;
import dev.gpudra.core.allocator.UnsatisfiableReason.NotEnoughDevices;
import dev.gpudra.core.allocator.UnsatisfiableReason.PoolUnusable;
import dev.gpudra.core.allocator.UnsatisfiableReason.SelectorFalse;
import dev.gpudra.core.allocator.UnsatisfiableReason.Tainted;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.List;

/**
 * Explains an unsatisfiable allocation, request by request, after the search has failed.
 *
 * <p>Each request is looked at on its own: how many devices its selectors reject, how many that
 * match are held by other claims or carry untolerated taints, and whether enough remain. When every
 * request has enough devices on its own, what failed is their combination: constraints, shared
 * counters or capacity, reported on the claim. The search itself stays free of bookkeeping; this
 * pass costs one selector evaluation per device and request, most of them memoised already.
 */
final class Diagnoser {
  private Diagnoser() {}

  static List<RequestDiagnosis> explain(
      String node,
      List<ResourceClaim> claims,
      List<Pool> pools,
      RequestPlanner.Plan plan,
      SelectorMatcher matcher,
      AllocatedDevices allocated) {
    List<RequestDiagnosis> out = new ArrayList<>();
    if (pools.isEmpty()) {
      for (ResourceClaim claim : claims) {
        out.add(
            new RequestDiagnosis(
                SelectorMatcher.claimName(claim), "", List.of(new NoSlicesForNode(node))));
      }
      return out;
    }
    List<UnsatisfiableReason> poolReasons = new ArrayList<>();
    for (Pool pool : pools) {
      if (pool.incomplete()) {
        poolReasons.add(new PoolUnusable(pool.id(), "not all slices of the pool are published"));
      } else if (pool.invalid()) {
        poolReasons.add(new PoolUnusable(pool.id(), pool.invalidReason()));
      }
    }
    for (int c = 0; c < claims.size(); c++) {
      String claimName = SelectorMatcher.claimName(claims.get(c));
      boolean everyRequestHasDevices = true;
      for (List<RequestSlot> alternatives : plan.slots().get(c)) {
        boolean anyAlternativeHasDevices = false;
        for (RequestSlot slot : alternatives) {
          List<UnsatisfiableReason> reasons = new ArrayList<>();
          int selectorFalse = 0;
          int held = 0;
          int tainted = 0;
          int usable = 0;
          for (Pool pool : pools) {
            if (!pool.usable()) {
              continue;
            }
            for (SliceEntry slice : pool.deviceSlices()) {
              for (DeviceEntry device : slice.devices) {
                if (!selectable(matcher, slot, device)) {
                  selectorFalse++;
                } else if (!slot.view().adminAccess()
                    && allocated.isExclusivelyAllocated(device.id)) {
                  held++;
                } else if (Search.taintPrevents(device, slot.view())) {
                  tainted++;
                } else {
                  usable++;
                }
              }
            }
          }
          int needed = slot.view().wantsAll() ? Math.max(1, slot.numDevices()) : slot.numDevices();
          if (usable >= needed && (held == 0 || !slot.view().wantsAll())) {
            anyAlternativeHasDevices = true;
            continue;
          }
          if (selectorFalse > 0) {
            reasons.add(new SelectorFalse(selectorFalse));
          }
          if (held > 0) {
            reasons.add(new MatchingDevicesAllocated(held));
          }
          if (tainted > 0) {
            reasons.add(new Tainted(tainted));
          }
          reasons.add(new NotEnoughDevices(needed, usable));
          reasons.addAll(poolReasons);
          out.add(new RequestDiagnosis(claimName, slot.view().fullName(), reasons));
        }
        everyRequestHasDevices &= anyAlternativeHasDevices;
      }
      if (everyRequestHasDevices) {
        List<UnsatisfiableReason> reasons = new ArrayList<>();
        reasons.add(
            new ConstraintOrCounterMismatch(
                "each request has enough matching devices on its own, but no combination"
                    + " satisfies the claim's constraints, shared counters or capacity"
                    + (claims.size() > 1 ? " together with the other claims" : "")));
        reasons.addAll(poolReasons);
        out.add(new RequestDiagnosis(claimName, "", reasons));
      }
    }
    return out;
  }

  private static boolean selectable(SelectorMatcher matcher, RequestSlot slot, DeviceEntry device) {
    try {
      return matcher.isSelectable(slot, device);
    } catch (InvalidInputException e) {
      return false;
    }
  }
}
