package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceConstraint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSubRequest;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * Checks the claims before the search and prepares their requests, with the errors Kubernetes'
 * allocator gives for input that cannot work on any node: a missing class, an unknown allocation
 * mode, {@code All} over a pool that is being updated or invalid, more than {@value #MAX_RESULTS}
 * devices per claim, an empty constraint.
 */
final class RequestPlanner {
  /** Kubernetes' limit on results per claim ({@code AllocationResultsMaxSize}). */
  static final int MAX_RESULTS = 32;

  private RequestPlanner() {}

  /** Per claim, per request: the request's slot, or its sub-requests' slots in order. */
  record Plan(List<List<List<RequestSlot>>> slots, List<List<ClaimConstraint>> constraints) {}

  static Plan plan(
      List<ResourceClaim> claims,
      Map<String, DeviceClass> classes,
      List<Pool> pools,
      SelectorMatcher matcher) {
    List<List<List<RequestSlot>>> all = new ArrayList<>();
    List<List<ClaimConstraint>> constraints = new ArrayList<>();
    int slotCounter = 0;
    for (int c = 0; c < claims.size(); c++) {
      ResourceClaim claim = claims.get(c);
      String claimName = SelectorMatcher.claimName(claim);
      List<List<RequestSlot>> perRequest = new ArrayList<>();
      int minDevicesPerClaim = 0;
      for (DeviceRequest request : requests(claim)) {
        List<RequestSlot> slots = new ArrayList<>();
        int minDevices;
        if (request.getFirstAvailable() != null && !request.getFirstAvailable().isEmpty()) {
          minDevices = Integer.MAX_VALUE;
          for (DeviceSubRequest sub : request.getFirstAvailable()) {
            RequestSlot slot =
                slot(
                    slotCounter++,
                    c,
                    claimName,
                    RequestView.of(request, sub),
                    classes,
                    pools,
                    matcher);
            slots.add(slot);
            minDevices = Math.min(minDevices, slot.numDevices());
          }
        } else if (request.getExactly() != null) {
          RequestSlot slot =
              slot(slotCounter++, c, claimName, RequestView.of(request), classes, pools, matcher);
          slots.add(slot);
          minDevices = slot.numDevices();
        } else {
          throw new InvalidInputException(
              "claim "
                  + claimName
                  + ", request "
                  + request.getName()
                  + ": missing device class name (unsupported request type?)");
        }
        if (minDevices > MAX_RESULTS - minDevicesPerClaim) {
          throw new InvalidInputException(
              String.format(
                  "claim %s, request %s: adding %d devices exceeds the claim limit of %d, with %d"
                      + " already accounted for",
                  claimName, request.getName(), minDevices, MAX_RESULTS, minDevicesPerClaim));
        }
        minDevicesPerClaim += minDevices;
        perRequest.add(List.copyOf(slots));
      }
      all.add(perRequest);
      constraints.add(constraints(claim, claimName));
    }
    return new Plan(all, constraints);
  }

  static List<DeviceRequest> requests(ResourceClaim claim) {
    if (claim.getSpec() == null || claim.getSpec().getDevices() == null) {
      return List.of();
    }
    return NodeMatcher.nullToEmpty(claim.getSpec().getDevices().getRequests());
  }

  private static RequestSlot slot(
      int slotNumber,
      int claimIndex,
      String claimName,
      RequestView view,
      Map<String, DeviceClass> classes,
      List<Pool> pools,
      SelectorMatcher matcher) {
    String where = "claim " + claimName + ", request " + view.name();
    for (int i = 0; i < view.selectors().size(); i++) {
      if (view.selectors().get(i).getCel() == null) {
        throw new InvalidInputException(
            where + ", selector #" + i + ": CEL expression empty (unsupported selector type?)");
      }
    }
    if (view.className() == null || view.className().isEmpty()) {
      throw new InvalidInputException(
          where + ": missing device class name (unsupported request type?)");
    }
    DeviceClass deviceClass = classes.get(view.className());
    if (deviceClass == null) {
      throw new InvalidInputException(
          where
              + ": could not retrieve device class "
              + view.className()
              + ": device class "
              + view.className()
              + " does not exist");
    }
    RequestSlot partial = new RequestSlot(slotNumber, claimIndex, view, deviceClass, 0, List.of());
    if (RequestView.EXACT_COUNT.equals(view.allocationMode())) {
      if (view.count() > Integer.MAX_VALUE) {
        throw new InvalidInputException(where + ": exact count " + view.count() + " is too large");
      }
      return new RequestSlot(
          slotNumber, claimIndex, view, deviceClass, (int) view.count(), List.of());
    }
    if (!view.wantsAll()) {
      throw new InvalidInputException(
          where
              + ": unsupported count mode "
              + (view.allocationMode() == null ? "" : view.allocationMode()));
    }
    List<RequestSlot.Candidate> devices = new ArrayList<>();
    for (Pool pool : pools) {
      if (pool.incomplete()) {
        throw new InvalidInputException(
            where
                + ": asks for all devices, but resource pool "
                + pool.id()
                + " is currently being updated");
      }
      if (pool.invalid()) {
        throw new InvalidInputException(
            where
                + ": asks for all devices, but resource pool "
                + pool.id()
                + " is currently invalid");
      }
      for (SliceEntry slice : pool.deviceSlices()) {
        for (DeviceEntry device : slice.devices) {
          if (!matcher.isSelectable(partial, device)) {
            continue;
          }
          // Only static capacity counts here: a device whose capacity others hold stays in the
          // set, so that "all" fails rather than silently shrinking.
          if (!CapacityCheck.fits(view, device, Map.of(), Map.of())) {
            continue;
          }
          devices.add(new RequestSlot.Candidate(device, pool));
        }
      }
    }
    return new RequestSlot(slotNumber, claimIndex, view, deviceClass, devices.size(), devices);
  }

  private static List<ClaimConstraint> constraints(ResourceClaim claim, String claimName) {
    List<DeviceConstraint> declared =
        claim.getSpec() == null || claim.getSpec().getDevices() == null
            ? List.of()
            : NodeMatcher.nullToEmpty(claim.getSpec().getDevices().getConstraints());
    List<ClaimConstraint> result = new ArrayList<>();
    for (int i = 0; i < declared.size(); i++) {
      DeviceConstraint d = declared.get(i);
      var requests = new HashSet<>(NodeMatcher.nullToEmpty(d.getRequests()));
      if (d.getMatchAttribute() != null) {
        result.add(new ClaimConstraint.MatchAttribute(requests, d.getMatchAttribute()));
      } else if (d.getDistinctAttribute() != null) {
        result.add(new ClaimConstraint.DistinctAttribute(requests, d.getDistinctAttribute()));
      } else {
        throw new InvalidInputException(
            "claim "
                + claimName
                + ", constraint #"
                + i
                + ": empty constraint (unsupported constraint type?)");
      }
    }
    return result;
  }
}
