package dev.gpudra.controller.explain;

import dev.gpudra.core.claims.ClaimClassifier;
import dev.gpudra.core.claims.ClaimState;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When a pending claim's explanation is published, apart from how: which claims are due (ours,
 * pending at least {@code pendingAfter}, oldest first), which explanations are new enough to
 * publish again (changed, or last published {@code repeat} ago), and how many Events one pass may
 * write.
 *
 * <p>Remembers what it let through per claim UID; a claim that stops pending is forgotten at the
 * next {@link #due}. Called from one thread at a time (the reporter's pass).
 */
final class PendingClaimPolicy {

  /** Event messages are cut to this length; the API server refuses much longer ones. */
  static final int MAX_MESSAGE = 1024;

  private final Duration pendingAfter;
  private final Duration repeat;
  private final int maxEventsPerPass;

  /** Last published summary and time per claim UID. */
  private final Map<String, Published> published = new ConcurrentHashMap<>();

  private record Published(String summary, Instant at) {}

  PendingClaimPolicy(Duration pendingAfter, Duration repeat, int maxEventsPerPass) {
    this.pendingAfter = pendingAfter;
    this.repeat = repeat;
    this.maxEventsPerPass = maxEventsPerPass;
  }

  /**
   * Our claims pending at least {@code pendingAfter} at {@code now}, oldest first. Forgets what was
   * published for claims that are no longer pending.
   */
  List<ResourceClaim> due(List<ResourceClaim> claims, ClaimClassifier ours, Instant now) {
    List<ResourceClaim> due = new ArrayList<>();
    Set<String> stillPending = new HashSet<>();
    for (ResourceClaim claim : claims) {
      if (ClaimState.of(claim) != ClaimState.PENDING || !ours.isOurs(claim)) {
        continue;
      }
      stillPending.add(claim.getMetadata().getUid());
      if (Duration.between(created(claim), now).compareTo(pendingAfter) >= 0) {
        due.add(claim);
      }
    }
    published.keySet().retainAll(stillPending);
    due.sort(Comparator.comparing(PendingClaimPolicy::created));
    return due;
  }

  /** Whether a pass that has written {@code written} Events may write more. */
  boolean mayWrite(int written) {
    return written < maxEventsPerPass;
  }

  /** The pass's Event limit. */
  int maxEventsPerPass() {
    return maxEventsPerPass;
  }

  /** The Event message for an explanation's summary: cut to {@value #MAX_MESSAGE} characters. */
  static String message(String summary) {
    return summary.length() <= MAX_MESSAGE
        ? summary
        : summary.substring(0, MAX_MESSAGE - 3) + "...";
  }

  /** Whether {@code message} is due for claim {@code uid}: it changed or is due a repeat. */
  boolean shouldPublish(String uid, String message, Instant now) {
    Published last = published.get(uid);
    return last == null
        || !last.summary().equals(message)
        || Duration.between(last.at(), now).compareTo(repeat) >= 0;
  }

  /** Records that {@code message} was published for claim {@code uid} at {@code now}. */
  void published(String uid, String message, Instant now) {
    published.put(uid, new Published(message, now));
  }

  private static Instant created(ResourceClaim claim) {
    String created = claim.getMetadata().getCreationTimestamp();
    return created == null ? Instant.EPOCH : Instant.parse(created);
  }
}
