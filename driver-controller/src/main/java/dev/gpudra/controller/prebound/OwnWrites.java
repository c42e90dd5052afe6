package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The allocations the pre-bound allocator wrote whose pods' kubelets it has not nudged yet.
 *
 * <p>Why the nudge waits: kube-scheduler may have decided to give one of these devices to a
 * scheduler-placed pod before its informer showed our write, and that decision (held only in the
 * scheduler's memory) reaches the API server later. Such a clash can only be seen once both writes
 * are visible, and it is resolved by taking our allocation back, which is safe only while the
 * kubelet has not prepared it. So the kubelet is nudged only once the informer has shown our write
 * for {@code confirmAfter} without a clash: by then the scheduler's informer has shown it too, and
 * the decisions it made before are written. (The kubelet's own resync may still come first; the
 * kubelet plugin's refusal to prepare a device prepared for another claim is the last guard.)
 *
 * <p>Until the informer shows a write, {@link #overlay} puts it in place of the informer's older
 * copy, so that every pass counts it, both when allocating (no device of ours is given twice) and
 * when looking for clashes (a scheduler allocation seen before our own write is a clash at once).
 * Not thread-safe: used under the allocator's lock.
 */
final class OwnWrites {

  /**
   * One write.
   *
   * @param claim the claim as written
   * @param pod the pod to nudge
   * @param visibleSince when a pass first saw the informer show it; null until then
   */
  private record Write(ResourceClaim claim, SlimPod pod, Instant visibleSince) {}

  private final Duration confirmAfter;
  private final Map<String, Write> byUid = new LinkedHashMap<>();

  OwnWrites(Duration confirmAfter) {
    this.confirmAfter = confirmAfter;
  }

  /** Records a write; its pod is nudged once it is confirmed. */
  void wrote(ResourceClaim written, SlimPod pod) {
    byUid.put(written.getMetadata().getUid(), new Write(written, pod, null));
  }

  /**
   * Takes on an allocation an earlier replica wrote and may not have confirmed (it stopped between
   * its write and its nudge): seen now, so its pod is nudged once it stays clear of clashes for
   * {@code confirmAfter}, as if this replica had written it. A write already known is kept.
   */
  void adopt(ResourceClaim visible, SlimPod pod, Instant now) {
    byUid.putIfAbsent(visible.getMetadata().getUid(), new Write(visible, pod, now));
  }

  /** Forgets a write that was taken back. */
  void released(ResourceClaim claim) {
    byUid.remove(claim.getMetadata().getUid());
  }

  /**
   * The informer's claims with each write the informer does not show yet in place of its older
   * copy. Also notes which writes became visible, and forgets writes whose claim is gone, or was
   * deallocated after the informer had shown it allocated (its pod was deleted).
   */
  List<ResourceClaim> overlay(List<ResourceClaim> informer, Instant now) {
    Map<String, ResourceClaim> seen = new HashMap<>();
    for (ResourceClaim c : informer) {
      seen.put(c.getMetadata().getUid(), c);
    }
    byUid
        .entrySet()
        .removeIf(
            e -> {
              ResourceClaim current = seen.get(e.getKey());
              Write w = e.getValue();
              if (current == null) {
                return true;
              }
              if (PreboundClaims.allocated(current)) {
                if (w.visibleSince() == null) {
                  e.setValue(new Write(w.claim(), w.pod(), now));
                }
                return false;
              }
              return w.visibleSince() != null;
            });
    List<ResourceClaim> claims = new ArrayList<>(informer.size());
    for (ResourceClaim c : informer) {
      Write w = byUid.get(c.getMetadata().getUid());
      claims.add(w != null && w.visibleSince() == null ? w.claim() : c);
    }
    return claims;
  }

  /**
   * Takes out the writes confirmed by {@code now}: visible for {@code confirmAfter} and not in a
   * clash (a clash whose release failed is decided again on the next pass).
   *
   * @param clashing UIDs of claims that share a device with another claim
   * @return their pods, to nudge
   */
  List<SlimPod> confirmed(Instant now, Set<String> clashing) {
    List<SlimPod> pods = new ArrayList<>();
    var it = byUid.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      Write w = e.getValue();
      if (w.visibleSince() != null
          && !now.isBefore(w.visibleSince().plus(confirmAfter))
          && !clashing.contains(e.getKey())) {
        pods.add(w.pod());
        it.remove();
      }
    }
    return pods;
  }

  /** How long until the next write may be confirmed; empty when none waits. */
  Optional<Duration> nextConfirmation(Instant now) {
    Optional<Duration> next = Optional.empty();
    for (Write w : byUid.values()) {
      // A write not visible yet is confirmed confirmAfter after a pass sees it, at the earliest.
      Instant at = (w.visibleSince() == null ? now : w.visibleSince()).plus(confirmAfter);
      Duration d = at.isBefore(now) ? Duration.ZERO : Duration.between(now, at);
      if (next.isEmpty() || d.compareTo(next.get()) < 0) {
        next = Optional.of(d);
      }
    }
    return next;
  }

  /** Whether {@code uid} is a write this allocator has not confirmed yet. */
  boolean pending(String uid) {
    return byUid.containsKey(uid);
  }
}
