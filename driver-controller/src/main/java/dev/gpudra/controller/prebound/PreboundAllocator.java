package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.allocator.AllocationOutcome;
import dev.gpudra.core.allocator.Allocator;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allocates the claims of pre-bound pods on the node each pod is bound to, with the Java allocator
 * (the same semantics as kube-scheduler's: selectors, taints, counters, admin access), and reserves
 * them for their pods; the kubelet then prepares them.
 *
 * <p>No device is handed out twice by this controller: every pass accounts for every allocation the
 * informers show plus the allocations it wrote that the informers do not show yet ({@code
 * inFlight}), and each write is conditional on the claim's resource version. Against
 * kube-scheduler, which may allocate the same device for a scheduler-placed pod on the same node
 * before either sees the other's write, {@link DoubleAllocations} finds the clash on a later pass
 * and the claim this controller allocated is released (while its pod has not started) and allocated
 * again from what is free.
 *
 * <p>Pods on one node are served first come, first served: when the oldest waiting claim on a node
 * does not fit, younger claims on that node wait behind it, unless it could not fit even on the
 * empty node. Only the leader runs passes; one pass at a time (synchronized).
 */
public final class PreboundAllocator {

  private static final Logger LOG = LoggerFactory.getLogger(PreboundAllocator.class);

  /**
   * What one pass did.
   *
   * @param allocated claims allocated
   * @param waiting claims left waiting, by claim {@code namespace/name}, with the reason
   * @param released allocations taken back after a lost race
   */
  public record Pass(int allocated, Map<String, String> waiting, int released) {
    /** Freezes. */
    public Pass {
      waiting = Map.copyOf(waiting);
    }
  }

  private final ClusterView view;
  private final AllocationWriter writer;
  private final SelectorCache selectors;
  private final AllocationBudget budget;
  private final Clock clock;

  /** Claims this controller allocated that the informer has not shown allocated yet, by UID. */
  private final Map<String, ResourceClaim> inFlight = new ConcurrentHashMap<>();

  public PreboundAllocator(
      ClusterView view,
      AllocationWriter writer,
      SelectorCache selectors,
      AllocationBudget budget,
      Clock clock) {
    this.view = Objects.requireNonNull(view, "view");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.selectors = Objects.requireNonNull(selectors, "selectors");
    this.budget = Objects.requireNonNull(budget, "budget");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** One pass over the claims of pre-bound pods. */
  public synchronized Pass runOnce() {
    List<ResourceClaim> claims = view.claims();
    forgetSeen(claims);
    int released = releaseLostRaces(claims);
    List<PreboundClaims.Pending> pending = PreboundClaims.pending(claims, view::pod);
    Map<String, String> waiting = new LinkedHashMap<>();
    if (pending.isEmpty()) {
      return new Pass(0, waiting, released);
    }
    Map<String, Node> nodes = new HashMap<>();
    for (Node n : view.nodes()) {
      nodes.put(n.getMetadata().getName(), n);
    }
    List<ResourceClaim> holding = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (ResourceClaim c : claims) {
      if (PreboundClaims.allocated(c)) {
        holding.add(c);
        seen.add(c.getMetadata().getUid());
      }
    }
    inFlight.forEach(
        (uid, c) -> {
          if (!seen.contains(uid)) {
            holding.add(c);
          }
        });
    var slices = view.slices();
    var classes = view.deviceClasses();
    Allocator allocator = null;
    Map<String, String> blockedNodes = new HashMap<>();
    int allocated = 0;
    for (PreboundClaims.Pending p : pending) {
      String key = p.claim().getMetadata().getNamespace() + "/" + p.claim().getMetadata().getName();
      if (inFlight.containsKey(p.claim().getMetadata().getUid())) {
        continue;
      }
      Node node = nodes.get(p.node());
      if (node == null) {
        waiting.put(key, "node " + p.node() + " does not exist");
        continue;
      }
      if (blockedNodes.containsKey(p.node())) {
        waiting.put(key, "waiting behind the older claim " + blockedNodes.get(p.node()));
        continue;
      }
      if (allocator == null) {
        allocator = new Allocator(slices, classes, holding, selectors);
      }
      AllocationOutcome outcome = allocator.allocate(node, List.of(p.claim()), budget);
      if (outcome instanceof AllocationOutcome.Allocated done) {
        var written = writer.allocate(p.claim(), done.results().getFirst(), p.pod());
        if (written.isPresent()) {
          inFlight.put(p.claim().getMetadata().getUid(), written.get());
          holding.add(written.get());
          allocator = null;
          allocated++;
          writer.nudge(p.pod(), clock.instant());
          LOG.info(
              "Allocated {} on node {} for pre-bound pod {}/{}",
              key,
              p.node(),
              p.pod().namespace(),
              p.pod().name());
        } else {
          waiting.put(key, "the claim changed while it was allocated; retrying");
        }
        continue;
      }
      String reason = reason(outcome, p.node());
      waiting.put(key, reason);
      if (outcome instanceof AllocationOutcome.Unsatisfiable
          && fitsOnEmptyNode(slices, classes, node, p.claim())) {
        blockedNodes.put(p.node(), key);
      }
    }
    if (!waiting.isEmpty()) {
      LOG.debug("Pre-bound claims waiting: {}", waiting);
    }
    return new Pass(allocated, waiting, released);
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

  /** Drops in-flight entries the informer now shows allocated, or no longer shows at all. */
  private void forgetSeen(List<ResourceClaim> claims) {
    Map<String, ResourceClaim> byUid =
        claims.stream()
            .collect(Collectors.toMap(c -> c.getMetadata().getUid(), c -> c, (a, b) -> a));
    inFlight
        .keySet()
        .removeIf(
            uid -> {
              ResourceClaim c = byUid.get(uid);
              return c == null || PreboundClaims.allocated(c);
            });
  }

  private int releaseLostRaces(List<ResourceClaim> claims) {
    int released = 0;
    for (ResourceClaim loser : DoubleAllocations.losers(claims, view::pod)) {
      if (writer.release(loser)) {
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
