package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.Quantities;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Devices that claims other than the ones being allocated already hold. Build it once per snapshot
 * of allocated claims and share it between allocators; immutable and thread-safe once built.
 *
 * <p>Accounted as kube-scheduler does: results with admin access block nothing; results with a
 * share ID (devices that allow multiple allocations) mark the device as shared; every other result
 * makes the device exclusively taken.
 */
public final class AllocatedDevices {
  private final Set<DeviceId> exclusive = new HashSet<>();
  private final Set<DeviceId> shared = new HashSet<>();
  private final Map<DeviceId, Map<String, BigDecimal>> consumedCapacity = new HashMap<>();

  /** Accounts for the devices in the {@code status.allocation} of every given claim. */
  public AllocatedDevices(List<ResourceClaim> allocatedClaims) {
    for (ResourceClaim claim : allocatedClaims) {
      if (claim.getStatus() == null
          || claim.getStatus().getAllocation() == null
          || claim.getStatus().getAllocation().getDevices() == null) {
        continue;
      }
      for (DeviceRequestAllocationResult r :
          claim.getStatus().getAllocation().getDevices().getResults()) {
        if (Boolean.TRUE.equals(r.getAdminAccess())) {
          continue;
        }
        DeviceId id = new DeviceId(r.getDriver(), r.getPool(), r.getDevice());
        if (r.getShareID() == null) {
          exclusive.add(id);
        } else {
          shared.add(id);
          if (r.getConsumedCapacity() != null && !r.getConsumedCapacity().isEmpty()) {
            Map<String, BigDecimal> sum =
                consumedCapacity.computeIfAbsent(id, k -> new HashMap<>());
            r.getConsumedCapacity()
                .forEach((name, q) -> sum.merge(name, Quantities.of(q).value(), BigDecimal::add));
          }
        }
      }
    }
  }

  /** Held exclusively by some other claim. */
  boolean isExclusivelyAllocated(DeviceId id) {
    return exclusive.contains(id);
  }

  /** Held in any way, so its counters are consumed. */
  boolean isAllocated(DeviceId id) {
    return exclusive.contains(id) || shared.contains(id);
  }

  /** Capacity consumed by the shares other claims hold, by capacity name; empty if none. */
  Map<String, BigDecimal> consumedCapacity(DeviceId id) {
    return consumedCapacity.getOrDefault(id, Map.of());
  }

  /** Held by at least one share of a device that allows multiple allocations. */
  boolean isShared(DeviceId id) {
    return shared.contains(id);
  }
}
