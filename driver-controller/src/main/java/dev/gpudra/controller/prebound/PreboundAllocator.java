package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.SlimPod;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.allocator.AllocationOutcome;
import dev.gpudra.core.allocator.Allocator;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allocates the claims of pre-bound pods on the node each pod is bound to, with the Java allocator
 * (the same semantics as kube-scheduler's: selectors, taints, counters, admin access), and reserves
 * them for their pods; the kubelet then prepares them.
 *
 * <p>Invariant: once both allocators settle, no device is in the allocation of two claims. This
 * controller never hands a device out twice itself: every pass counts every allocation the
 * informers show plus its own writes they do not show yet ({@link OwnWrites#overlay}), and each
 * write is conditional on the claim's resource version. kube-scheduler, though, may give a device
 * to a scheduler-placed pod on the same node before its informer shows our write, and its in-flight
 * decisions are invisible here until it writes them. So every pass (one runs after any claim's
 * allocation changes) looks for devices held by two claims among all allocated claims, ours in
 * flight included, and {@link DoubleAllocations} picks the loser: always our claim, whose pod has
 * not started. It is released and allocated again from what is free. To make sure that the release
 * comes before the kubelet prepares it, the kubelet is nudged only once our write has been visible
 * for {@code confirmAfter} without a clash ({@link OwnWrites}).
 *
 * <p>Pods on one node are served first come, first served: when the oldest waiting claim on a node
 * does not fit, younger claims on that node wait behind it, unless it could not fit even on the
 * empty node. Only the leader runs passes; one pass at a time (synchronized).
 */
public final class PreboundAllocator {

  private static final Logger LOG = LoggerFactory.getLogger(PreboundAllocator.class);

  /** How long a write must be visible without a clash before the kubelet is nudged. */
  public static final Duration CONFIRM_AFTER = Duration.ofSeconds(1);

  /**
   * What one pass did.
   *
   * @param allocated claims allocated
   * @param waiting claims left waiting, by claim {@code namespace/name}, with the reason
   * @param reasons the kind of each reason in {@code waiting}, by the same keys
   * @param released allocations taken back after a lost race
   * @param nudged pods whose kubelets were nudged because their allocations were confirmed
   * @param confirmIn when to pass again to confirm writes; empty when none waits
   */
  public record Pass(
      int allocated,
      Map<String, String> waiting,
      Map<String, WaitReason> reasons,
      int released,
      int nudged,
      Optional<Duration> confirmIn) {
    /** Freezes. */
    public Pass {
      waiting = Map.copyOf(waiting);
      reasons = Map.copyOf(reasons);
      Objects.requireNonNull(confirmIn, "confirmIn");
    }
  }

  private final PreboundView view;
  private final ClaimWrites writer;
  private final SelectorCache selectors;
  private final AllocationBudget budget;
  private final Clock clock;

  private final OwnWrites writes;

  /** Whether the first pass took on the allocations earlier replicas left unconfirmed. */
  private boolean adoptedEarlierWrites;

  public PreboundAllocator(
      PreboundView view,
      ClaimWrites writer,
      SelectorCache selectors,
      AllocationBudget budget,
      Clock clock,
      Duration confirmAfter) {
    this.view = Objects.requireNonNull(view, "view");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.selectors = Objects.requireNonNull(selectors, "selectors");
    this.budget = Objects.requireNonNull(budget, "budget");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.writes = new OwnWrites(Objects.requireNonNull(confirmAfter, "confirmAfter"));
  }

  /** One pass over the claims of pre-bound pods. */
  public synchronized Pass runOnce() {
    Instant now = clock.instant();
    if (!adoptedEarlierWrites) {
      adoptedEarlierWrites = true;
      adoptUnstartedAllocations(view.claims(), now);
    }
    List<ResourceClaim> claims = writes.overlay(view.claims(), now);
    int released = releaseLostRaces(claims);
    List<PreboundClaims.Pending> pending = PreboundClaims.pending(claims, view::pod);
    Waiting waiting = new Waiting(new LinkedHashMap<>(), new HashMap<>());
    int allocated = pending.isEmpty() ? 0 : allocate(claims, pending, waiting);
    if (!waiting.messages().isEmpty()) {
      LOG.debug("Pre-bound claims waiting: {}", waiting.messages());
    }
    Set<String> clashing = new HashSet<>();
    DoubleAllocations.clashes(claims)
        .values()
        .forEach(holders -> holders.forEach(c -> clashing.add(c.getMetadata().getUid())));
    List<SlimPod> confirmed = writes.confirmed(now, clashing);
    for (SlimPod pod : confirmed) {
      writer.nudge(pod, now);
    }
    return new Pass(
        allocated,
        waiting.messages(),
        waiting.reasons(),
        released,
        confirmed.size(),
        writes.nextConfirmation(now));
  }

  /**
   * A replica that stops between its status write and its nudge leaves a pod whose kubelet would
   * only retry at its next resync (60-90 s). The pod's annotations are not in the view, so the
   * first pass of a replica takes on every allocated pre-bound claim whose pod has not started yet
   * and nudges it once confirmed; a pod nudged twice only syncs once more.
   */
  private void adoptUnstartedAllocations(List<ResourceClaim> claims, Instant now) {
    for (ResourceClaim claim : claims) {
      if (!PreboundClaims.isPrebound(claim)
          || !PreboundClaims.allocated(claim)
          || claim.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      PreboundClaims.controller(claim)
          .flatMap(
              owner ->
                  view.pod(claim.getMetadata().getNamespace(), owner.getName())
                      .filter(pod -> owner.getUid().equals(pod.uid())))
          .filter(pod -> pod.nodeName() != null && !pod.nodeName().isEmpty())
          .filter(pod -> pod.phase() == null || "Pending".equals(pod.phase()))
          .ifPresent(pod -> writes.adopt(claim, pod, now));
    }
  }

  /** Allocates what fits of {@code pending}, oldest first; notes why the others wait. */
  private int allocate(
      List<ResourceClaim> claims, List<PreboundClaims.Pending> pending, Waiting waiting) {
    Map<String, Node> nodes = new HashMap<>();
    for (Node n : view.nodes()) {
      nodes.put(n.getMetadata().getName(), n);
    }
    // Every claim the informers show allocated, and our writes they do not show yet.
    List<ResourceClaim> holding = new ArrayList<>();
    for (ResourceClaim c : claims) {
      if (PreboundClaims.allocated(c)) {
        holding.add(c);
      }
    }
    var slices = view.slices();
    var classes = view.deviceClasses();
    Allocator allocator = null;
    Map<String, String> blockedNodes = new HashMap<>();
    int allocated = 0;
    for (PreboundClaims.Pending p : pending) {
      String key = p.claim().getMetadata().getNamespace() + "/" + p.claim().getMetadata().getName();
      Node node = nodes.get(p.node());
      if (node == null) {
        waiting.add(key, WaitReason.NODE_MISSING, "node " + p.node() + " does not exist");
        continue;
      }
      if (blockedNodes.containsKey(p.node())) {
        waiting.add(
            key,
            WaitReason.BEHIND_OLDER_CLAIM,
            "waiting behind the older claim " + blockedNodes.get(p.node()));
        continue;
      }
      if (allocator == null) {
        allocator = new Allocator(slices, classes, holding, selectors);
      }
      AllocationOutcome outcome = allocator.allocate(node, List.of(p.claim()), budget);
      if (outcome instanceof AllocationOutcome.Allocated done) {
        var written = writer.allocate(p.claim(), done.results().getFirst(), p.pod());
        if (written.isPresent()) {
          writes.wrote(written.get(), p.pod());
          holding.add(written.get());
          allocator = null;
          allocated++;
          LOG.info(
              "Allocated {} on node {} for pre-bound pod {}/{}",
              key,
              p.node(),
              p.pod().namespace(),
              p.pod().name());
        } else {
          waiting.add(
              key, WaitReason.WRITE_CONFLICT, "the claim changed while it was allocated; retrying");
        }
        continue;
      }
      String reason = reason(outcome, p.node());
      switch (outcome) {
        case AllocationOutcome.Unsatisfiable u -> {
          if (fitsOnEmptyNode(slices, classes, node, p.claim())) {
            blockedNodes.put(p.node(), key);
            waiting.add(key, WaitReason.DEVICES_IN_USE, reason);
          } else {
            waiting.add(key, WaitReason.DOES_NOT_FIT_NODE, reason);
          }
        }
        case AllocationOutcome.Invalid i -> waiting.add(key, WaitReason.INVALID_CLAIM, reason);
        default -> waiting.add(key, WaitReason.SEARCH_GAVE_UP, reason);
      }
    }
    return allocated;
  }

  private boolean fitsOnEmptyNode(
      List<io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice> slices,
      List<io.fabric8.kubernetes.api.model.resource.v1.DeviceClass> classes,
      Node node,
      ResourceClaim claim) {
    return new Allocator(slices, classes, List.of(), selectors)
            .allocate(node, List.of(claim), budget)
        instanceof AllocationOutcome.Allocated;
  }

  private int releaseLostRaces(List<ResourceClaim> claims) {
    int released = 0;
    for (ResourceClaim loser : DoubleAllocations.losers(claims, view::pod)) {
      if (writer.release(loser)) {
        writes.released(loser);
        released++;
        LOG.warn(
            "Released {}/{}: a device of its allocation went to another claim first; allocating"
                + " it again",
            loser.getMetadata().getNamespace(),
            loser.getMetadata().getName());
      }
    }
    return released;
  }

  /** Why claims wait, by claim key: the Event's message and its kind. */
  private record Waiting(Map<String, String> messages, Map<String, WaitReason> reasons) {
    void add(String key, WaitReason reason, String message) {
      messages.put(key, message);
      reasons.put(key, reason);
    }
  }

  /** One line saying why a claim does not fit on its node. */
  static String reason(AllocationOutcome outcome, String node) {
    return switch (outcome) {
      case AllocationOutcome.Unsatisfiable u ->
          "node " + node + ": " + PendingClaimExplainer.describe(u.reasons());
      case AllocationOutcome.Invalid i -> "cannot be allocated: " + i.message();
      case AllocationOutcome.BudgetExceeded b -> "allocation search gave up: " + b.message();
      case AllocationOutcome.Allocated a -> "allocated";
    };
  }
}
