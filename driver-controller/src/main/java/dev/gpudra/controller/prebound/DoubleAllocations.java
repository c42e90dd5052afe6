package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Finds devices that two claims hold exclusively at once, which can only happen when two allocators
 * (kube-scheduler and the pre-bound allocator) decide in the same instant, before either's informer
 * shows the other's write; and picks which allocation to take back.
 *
 * <p>The loser is always a pre-bound claim (never one the scheduler placed: its pod is already
 * bound by the scheduler's decision) whose pod has not started; when both are pre-bound, the
 * younger one. A clash where no such claim exists is left alone: the kubelet plugin refuses to
 * prepare a device prepared for another claim.
 *
 * <p>A release has a side effect outside this controller: kube-scheduler keeps allocated devices as
 * a set, fed by claim events, so when our claim lets go of a device a scheduler-placed claim also
 * holds, the scheduler forgets the device is held until its informer re-lists, and may give it to
 * another scheduler-placed pod. That pod's prepare is then refused by the kubelet plugin until the
 * holder is done; no device is used twice. Pure.
 */
public final class DoubleAllocations {

  private DoubleAllocations() {}

  /** Devices held exclusively by more than one claim: {@code driver/pool/device} to claims. */
  public static Map<String, List<ResourceClaim>> clashes(List<ResourceClaim> claims) {
    Map<String, List<ResourceClaim>> holders = new LinkedHashMap<>();
    for (ResourceClaim claim : claims) {
      if (!PreboundClaims.allocated(claim)
          || claim.getStatus().getAllocation().getDevices() == null) {
        continue;
      }
      Set<String> devices = new LinkedHashSet<>();
      for (DeviceRequestAllocationResult r :
          claim.getStatus().getAllocation().getDevices().getResults()) {
        if (!Boolean.TRUE.equals(r.getAdminAccess()) && r.getShareID() == null) {
          devices.add(r.getDriver() + "/" + r.getPool() + "/" + r.getDevice());
        }
      }
      for (String d : devices) {
        holders.computeIfAbsent(d, k -> new ArrayList<>()).add(claim);
      }
    }
    holders.values().removeIf(list -> list.size() < 2);
    return holders;
  }

  /** The pre-bound claims to release so that no device stays with two claims. */
  public static List<ResourceClaim> losers(
      List<ResourceClaim> claims, BiFunction<String, String, Optional<SlimPod>> pods) {
    Map<String, ResourceClaim> losers = new LinkedHashMap<>();
    for (List<ResourceClaim> holders : clashes(claims).values()) {
      List<ResourceClaim> releasable = new ArrayList<>();
      for (ResourceClaim c : holders) {
        if (PreboundClaims.isPrebound(c) && notStarted(c, pods)) {
          releasable.add(c);
        }
      }
      // Keep one holder: if every holder is releasable, the oldest keeps the device.
      releasable.sort(
          Comparator.comparing(
              (ResourceClaim c) ->
                  Objects.requireNonNullElse(c.getMetadata().getCreationTimestamp(), "")));
      int keep = releasable.size() == holders.size() ? 1 : 0;
      for (ResourceClaim c : releasable.subList(keep, releasable.size())) {
        losers.putIfAbsent(c.getMetadata().getUid(), c);
      }
    }
    return List.copyOf(losers.values());
  }

  private static boolean notStarted(
      ResourceClaim claim, BiFunction<String, String, Optional<SlimPod>> pods) {
    return PreboundClaims.controller(claim)
        .flatMap(o -> pods.apply(claim.getMetadata().getNamespace(), o.getName()))
        .map(p -> p.phase() == null || "Pending".equals(p.phase()))
        .orElse(true);
  }
}
