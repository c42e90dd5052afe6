package dev.gpudra.core.explain;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.allocator.AllocationOutcome;
import dev.gpudra.core.allocator.Allocator;
import dev.gpudra.core.allocator.RequestDiagnosis;
import dev.gpudra.core.allocator.UnsatisfiableReason;
import dev.gpudra.core.cel.SelectorCache;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimSpec;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Explains a pending claim by running the allocator, with the scheduler's semantics, on every node
 * where the claim could fit ({@link RuledOutNodes} rules out the others from selectors alone) and
 * grouping the nodes by why the claim does not fit there (pure).
 */
public final class PendingClaimExplainer {

  /** Nodes named per group before the rest is counted. */
  private static final int NODES_NAMED = 3;

  private final SelectorCache selectors;
  private final AllocationBudget budget;
  private final DeviceViewCache views;

  /** An explainer with its own device views, kept while it lives. */
  public PendingClaimExplainer(SelectorCache selectors, AllocationBudget budget) {
    this(selectors, budget, new DeviceViewCache(DeviceViewCache.DEFAULT_MAX_SLICES));
  }

  /**
   * An explainer that takes each slice's devices from {@code views}: a long-lived caller keeps one
   * so that a new snapshot rebuilds only the slices that changed.
   */
  public PendingClaimExplainer(
      SelectorCache selectors, AllocationBudget budget, DeviceViewCache views) {
    this.selectors = Objects.requireNonNull(selectors, "selectors");
    this.budget = Objects.requireNonNull(budget, "budget");
    this.views = Objects.requireNonNull(views, "views");
  }

  /**
   * Explains {@code claim} against the cluster state given.
   *
   * @param claims every claim in the cluster; allocated ones hold their devices
   */
  public Explanation explain(
      ResourceClaim claim,
      List<Node> nodes,
      List<ResourceSlice> slices,
      List<DeviceClass> classes,
      List<ResourceClaim> claims) {
    return snapshot(nodes, slices, classes, claims).explain(claim);
  }

  /**
   * Prepares one cluster state for explaining many claims: the allocator over it is built once, not
   * per claim.
   *
   * @param claims every claim in the cluster; allocated ones hold their devices
   */
  public Snapshot snapshot(
      List<Node> nodes,
      List<ResourceSlice> slices,
      List<DeviceClass> classes,
      List<ResourceClaim> claims) {
    List<ResourceClaim> allocated =
        claims.stream()
            .filter(c -> c.getStatus() != null && c.getStatus().getAllocation() != null)
            .toList();
    List<Node> sorted =
        nodes.stream().sorted(Comparator.comparing(n -> n.getMetadata().getName())).toList();
    // Slices gone from this state are gone for good: later snapshots never ask for them.
    views.retainOnly(slices);
    return new Snapshot(
        new Allocator(slices, classes, allocated, selectors),
        sorted,
        () -> new ClaimDiagnoser(selectors, new ClusterDevices(slices, allocated, views), classes));
  }

  /**
   * One cluster state, ready to explain claims against. Not thread-safe.
   *
   * <p>What the allocator finds per node depends only on a pending claim's spec and this state, so
   * it is worked out once per distinct spec: a cluster's pending claims mostly come from a few
   * templates, and explaining thousands of them then costs a few allocator runs per node rather
   * than thousands. The claims' specs must not change while the snapshot is used (informer caches
   * replace objects, they do not mutate them).
   */
  public final class Snapshot {

    private final Allocator allocator;
    private final List<Node> nodes;
    private final Supplier<ClaimDiagnoser> diagnoserFactory;
    private final Map<ResourceClaimSpec, Verdict> verdicts = new HashMap<>();
    private ClaimDiagnoser diagnoser;

    private Snapshot(
        Allocator allocator, List<Node> nodes, Supplier<ClaimDiagnoser> diagnoserFactory) {
      this.allocator = allocator;
      this.nodes = nodes;
      this.diagnoserFactory = diagnoserFactory;
    }

    /** Built on the first claim explained, for ruling out nodes and for diagnosis. */
    private ClaimDiagnoser diagnoser() {
      if (diagnoser == null) {
        diagnoser = diagnoserFactory.get();
      }
      return diagnoser;
    }

    /** Explains one claim against this state. */
    public Explanation explain(ResourceClaim claim) {
      String namespace = claim.getMetadata().getNamespace();
      String name = claim.getMetadata().getName();
      if (claim.getStatus() != null && claim.getStatus().getAllocation() != null) {
        return new Explanation(
            namespace, name, "claim " + namespace + "/" + name + " is allocated", List.of());
      }
      ResourceClaimSpec spec = claim.getSpec();
      Verdict verdict = spec == null ? null : verdicts.get(spec);
      if (verdict == null) {
        verdict = judge(claim, allocator, nodes, this::diagnoser);
        // An invalid claim's message names the claim; it is found on the first node anyway.
        if (spec != null && !(verdict instanceof Verdict.Invalid)) {
          verdicts.put(spec, verdict);
        }
      }
      return render(namespace, name, verdict, nodes.size());
    }
  }

  /** What the allocator found for a pending claim on every node, apart from the claim's name. */
  private sealed interface Verdict {
    /** The claim cannot be allocated anywhere; the message names the claim. */
    record Invalid(String message, List<Cause> causes) implements Verdict {}

    /** Nodes where the claim fits now, in node order, and the devices on the first. */
    record Fits(List<String> nodes, List<String> devices) implements Verdict {}

    /** It fits nowhere: the causes, then node groups and their reasons, most nodes first. */
    record FitsNowhere(List<Cause> causes, List<String> details) implements Verdict {}
  }

  private Verdict judge(
      ResourceClaim claim, Allocator allocator, List<Node> nodes, Supplier<ClaimDiagnoser> why) {
    List<String> fits = new ArrayList<>();
    List<String> devices = new ArrayList<>();
    Map<String, List<String>> nodesByReason = new LinkedHashMap<>();
    List<Cause> poolCauses = new ArrayList<>();
    List<Cause> allocatorCauses = new ArrayList<>();
    // The allocator searches only where the claim could fit, and on a few nodes where it cannot,
    // whose own reasons name those nodes in the allocator's words; the others are ruled out.
    Map<String, String> ruledOut = RuledOutNodes.of(claim, nodes, why.get()).orElse(Map.of());
    int sampled = 0;
    for (Node node : nodes) {
      String nodeName = node.getMetadata().getName();
      String ruledOutWhy = ruledOut.get(nodeName);
      if (ruledOutWhy != null && sampled++ >= NODES_NAMED) {
        nodesByReason.computeIfAbsent(ruledOutWhy, r -> new ArrayList<>()).add(nodeName);
        continue;
      }
      AllocationOutcome outcome = allocator.allocate(node, List.of(claim), budget);
      switch (outcome) {
        case AllocationOutcome.Allocated allocatedOutcome -> {
          if (fits.isEmpty()) {
            allocatedOutcome.results().stream()
                .filter(r -> r.getDevices() != null && r.getDevices().getResults() != null)
                .flatMap(r -> r.getDevices().getResults().stream())
                .forEach(r -> devices.add(r.getDevice()));
          }
          fits.add(nodeName);
        }
        case AllocationOutcome.Invalid invalid -> {
          return new Verdict.Invalid(invalid.message(), why.get().diagnose(claim, nodes));
        }
        case AllocationOutcome.BudgetExceeded exceeded ->
            nodesByReason
                .computeIfAbsent("search gave up: " + exceeded.message(), r -> new ArrayList<>())
                .add(nodeName);
        case AllocationOutcome.Unsatisfiable unsatisfiable -> {
          nodesByReason
              .computeIfAbsent(describe(unsatisfiable.reasons()), r -> new ArrayList<>())
              .add(nodeName);
          poolCauses(nodeName, unsatisfiable.reasons(), poolCauses);
          allocatorCauses(nodeName, unsatisfiable.reasons(), allocatorCauses);
        }
      }
    }
    if (!fits.isEmpty()) {
      return new Verdict.Fits(List.copyOf(fits), List.copyOf(devices));
    }
    List<Cause> causes = new ArrayList<>(why.get().diagnose(claim, nodes));
    if (causes.stream().noneMatch(Cause::concrete)) {
      causes.addAll(0, poolCauses);
    }
    if (causes.stream().noneMatch(Cause::concrete)) {
      // Diagnosis sees the cluster as a whole and can miss what only the allocator's own count on
      // a node shows (a pool being replaced, devices that compete within one request): fall back
      // to those counts, which are concrete if coarse.
      causes.addAll(0, allocatorCauses);
    }
    return new Verdict.FitsNowhere(
        List.copyOf(causes),
        nodesByReason.entrySet().stream()
            .sorted((a, b) -> Integer.compare(b.getValue().size(), a.getValue().size()))
            .map(e -> names(e.getValue()) + ": " + e.getKey())
            .toList());
  }

  /** The allocator's reasons that concern the node's pools, which diagnosis does not see. */
  private static void poolCauses(String node, List<RequestDiagnosis> diagnoses, List<Cause> into) {
    for (RequestDiagnosis d : diagnoses) {
      for (UnsatisfiableReason r : d.reasons()) {
        if (r instanceof UnsatisfiableReason.NoSlicesForNode
            || r instanceof UnsatisfiableReason.PoolUnusable) {
          Cause cause = new Cause(d.request(), Cause.Kind.POOL, node + ": " + describe(r));
          if (into.size() < NODES_NAMED && !into.contains(cause)) {
            into.add(cause);
          }
        }
      }
    }
  }

  /** The allocator's per-request counts on a node, as causes; constraint mismatches stay vague. */
  private static void allocatorCauses(
      String node, List<RequestDiagnosis> diagnoses, List<Cause> into) {
    for (RequestDiagnosis d : diagnoses) {
      if (d.request().isEmpty() || into.size() >= NODES_NAMED) {
        continue;
      }
      Cause.Kind kind = Cause.Kind.COUNT;
      for (UnsatisfiableReason r : d.reasons()) {
        if (r instanceof UnsatisfiableReason.Tainted) {
          kind = Cause.Kind.TAINT;
        } else if (r instanceof UnsatisfiableReason.MatchingDevicesAllocated
            && kind == Cause.Kind.COUNT) {
          kind = Cause.Kind.HELD;
        }
      }
      into.add(
          new Cause(
              d.request(),
              kind,
              node
                  + ": request \""
                  + d.request()
                  + "\" "
                  + d.reasons().stream()
                      .map(PendingClaimExplainer::describe)
                      .collect(Collectors.joining(", "))));
    }
  }

  private static List<String> details(List<Cause> causes, List<String> nodeLines) {
    List<String> out = new ArrayList<>();
    causes.forEach(c -> out.add(c.text()));
    out.addAll(nodeLines);
    return out;
  }

  private static Explanation render(String namespace, String name, Verdict verdict, int nodeCount) {
    String id = namespace + "/" + name;
    return switch (verdict) {
      case Verdict.Invalid invalid ->
          new Explanation(
              namespace,
              name,
              "claim " + id + " cannot be allocated on any node: " + invalid.message(),
              // The allocator's message already names an invalid class or selector.
              details(
                  invalid.causes().stream().filter(c -> c.kind() != Cause.Kind.INVALID).toList(),
                  List.of()),
              invalid.causes(),
              List.of(),
              List.of());
      case Verdict.Fits fits ->
          new Explanation(
              namespace,
              name,
              "claim "
                  + id
                  + " fits now on "
                  + names(fits.nodes())
                  + (fits.devices().isEmpty()
                      ? ""
                      : " (on " + fits.nodes().get(0) + ": " + Names.devices(fits.devices()) + ")")
                  + "; it waits for a pod to be scheduled",
              List.of(),
              List.of(),
              fits.nodes(),
              fits.devices());
      case Verdict.FitsNowhere nowhere ->
          new Explanation(
              namespace,
              name,
              nodeCount == 0
                  ? "claim " + id + " fits on no node: the cluster has no nodes"
                  : "claim " + id + " fits on none of " + nodeCount + " nodes:",
              details(nowhere.causes(), nowhere.details()),
              nowhere.causes(),
              List.of(),
              List.of());
    };
  }

  private static String names(List<String> nodes) {
    String named = String.join(", ", nodes.subList(0, Math.min(NODES_NAMED, nodes.size())));
    return nodes.size() > NODES_NAMED
        ? named + " and " + (nodes.size() - NODES_NAMED) + " more"
        : named;
  }

  /**
   * Why a claim does not fit on one node, in words: the reasons of each request. Shared with the
   * controller's pre-bound allocator, which judges a claim on its pod's node only.
   */
  public static String describe(List<RequestDiagnosis> diagnoses) {
    if (diagnoses.isEmpty()) {
      return "no reason given";
    }
    return diagnoses.stream()
        .map(
            d ->
                (d.request() == null || d.request().isEmpty()
                        ? "claim"
                        : "request \"" + d.request() + "\"")
                    + " "
                    + d.reasons().stream()
                        .map(PendingClaimExplainer::describe)
                        .collect(Collectors.joining(", ")))
        .collect(Collectors.joining("; "));
  }

  /** One reason in words. */
  static String describe(UnsatisfiableReason reason) {
    return switch (reason) {
      case UnsatisfiableReason.NoSlicesForNode none -> "finds no ResourceSlices on the node";
      case UnsatisfiableReason.PoolUnusable pool ->
          "cannot use pool " + pool.pool() + " (" + pool.why() + ")";
      case UnsatisfiableReason.SelectorFalse selector ->
          "has selectors false on " + plural(selector.devices(), "device");
      case UnsatisfiableReason.MatchingDevicesAllocated taken ->
          "finds " + plural(taken.devices(), "matching device") + " allocated to other claims";
      case UnsatisfiableReason.Tainted tainted ->
          "finds " + plural(tainted.devices(), "matching device") + " tainted";
      case UnsatisfiableReason.NotEnoughDevices short_ ->
          "needs " + short_.needed() + " but only " + short_.usable() + " usable";
      case UnsatisfiableReason.ConstraintOrCounterMismatch mismatch ->
          "fails on constraints or shared counters (" + mismatch.detail() + ")";
    };
  }

  private static String plural(int count, String noun) {
    return count + " " + noun + (count == 1 ? "" : "s");
  }
}
