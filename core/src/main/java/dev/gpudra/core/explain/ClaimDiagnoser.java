package dev.gpudra.core.explain;

import dev.gpudra.core.cel.Compilation;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.explain.ClusterDevices.Candidate;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds the concrete causes why a claim fits on no node: the selector clause that is false on the
 * nearest devices (with the values it saw), too few matching devices per node, devices held,
 * tainted or out of shared counters or capacity, and constraints that split the candidates.
 *
 * <p>It does not decide whether a claim fits (the allocator does); it explains a verdict the
 * allocator already reached, looking at the whole cluster at once rather than node by node, so that
 * "8x H100 on gpu-h100-8x: memory 81559Mi (79.6Gi) < 80Gi" is said once. Selector clauses are
 * evaluated per distinct value of what they read, so identical GPUs cost one evaluation. Pure;
 * thread-safe once built.
 */
final class ClaimDiagnoser {

  /** Nearest-miss groups named per request. */
  private static final int MISSES_NAMED = 3;

  private final SelectorCache cache;
  private final ClusterDevices cluster;
  private final Map<String, DeviceClass> classes = new LinkedHashMap<>();

  ClaimDiagnoser(SelectorCache cache, ClusterDevices cluster, List<DeviceClass> deviceClasses) {
    this.cache = cache;
    this.cluster = cluster;
    for (DeviceClass c : deviceClasses) {
      classes.put(c.getMetadata().getName(), c);
    }
  }

  /**
   * The causes for {@code claim} over the devices of {@code nodes}; empty when none is found.
   *
   * @param scope the nodes the claim could go to
   */
  List<Cause> diagnose(ResourceClaim claim, List<Node> scope) {
    List<String> nodes = scope.stream().map(n -> n.getMetadata().getName()).toList();
    List<Cause> causes = new ArrayList<>();
    Map<String, List<AskTally>> fitting = new LinkedHashMap<>();
    Map<String, Set<String>> requestNodes = new LinkedHashMap<>();
    var devices = claim.getSpec() == null ? null : claim.getSpec().getDevices();
    List<DeviceRequest> requests =
        devices == null ? List.of() : ClusterDevices.nullToEmpty(devices.getRequests());
    for (DeviceRequest request : requests) {
      List<Cause> requestCauses = new ArrayList<>();
      Set<String> fitsOn = new TreeSet<>();
      List<AskTally> tallies = new ArrayList<>();
      for (DeviceAsk ask : DeviceAsk.of(request)) {
        Optional<AskTally> tally = tally(ask, scope, requestCauses);
        if (tally.isEmpty()) {
          continue;
        }
        tallies.add(tally.get());
        boolean fitsSomewhere = false;
        for (String node : nodes) {
          if (tally.get().fitsOn(node)) {
            fitsOn.add(node);
            fitsSomewhere = true;
          }
        }
        if (!fitsSomewhere) {
          requestCauses.addAll(tally.get().shortfall());
        }
      }
      if (fitsOn.isEmpty()) {
        causes.addAll(requestCauses);
      } else {
        fitting.put(request.getName(), tallies);
        requestNodes.put(request.getName(), fitsOn);
      }
    }
    if (!causes.isEmpty() || requests.isEmpty()) {
      return causes;
    }
    Set<String> common = null;
    for (Set<String> fitsOn : requestNodes.values()) {
      if (common == null) {
        common = new TreeSet<>(fitsOn);
      } else {
        common.retainAll(fitsOn);
      }
    }
    if (common == null || common.isEmpty()) {
      StringBuilder text = new StringBuilder("no node has devices for every request:");
      String sep = " ";
      for (var e : requestNodes.entrySet()) {
        text.append(sep)
            .append('"')
            .append(e.getKey())
            .append("\" fits on ")
            .append(Names.of(e.getValue()));
        sep = "; ";
      }
      return List.of(new Cause("", Cause.Kind.NODES, text.toString()));
    }
    causes.addAll(
        ConstraintDiagnoser.diagnose(
            ClusterDevices.nullToEmpty(devices.getConstraints()), fitting, common));
    if (causes.isEmpty()) {
      CombinedShortfall.of(fitting, common, cluster).ifPresent(causes::add);
    }
    if (causes.isEmpty() && !ClusterDevices.nullToEmpty(devices.getConstraints()).isEmpty()) {
      // Each constraint can be met on its own counts, but not with devices that are free together
      // (counters or capacity they share): the constraints are still what narrows the choice.
      causes.add(
          new Cause(
              "",
              Cause.Kind.CONSTRAINT,
              "no combination of free matching devices on "
                  + Names.of(common)
                  + " meets the claim's constraints ("
                  + devices.getConstraints().stream()
                      .map(
                          c ->
                              c.getMatchAttribute() != null
                                  ? "matchAttribute " + c.getMatchAttribute()
                                  : "distinctAttribute " + c.getDistinctAttribute())
                      .collect(java.util.stream.Collectors.joining(", "))
                  + ") while the devices it needs also fit their shared counters and capacity"));
    }
    if (causes.isEmpty()) {
      causes.add(
          new Cause(
              "",
              Cause.Kind.OTHER,
              "each request finds enough devices on "
                  + Names.of(common)
                  + ", but not together: the requests compete for the same devices, shared"
                  + " counters or capacity"));
    }
    return causes;
  }

  private Optional<AskTally> tally(DeviceAsk ask, List<Node> scope, List<Cause> causes) {
    List<String> nodes = scope.stream().map(n -> n.getMetadata().getName()).toList();
    DeviceClass deviceClass = classes.get(ask.className());
    if (deviceClass == null) {
      causes.add(
          new Cause(
              ask.name(),
              Cause.Kind.INVALID,
              "request \""
                  + ask.name()
                  + "\": DeviceClass "
                  + ask.className()
                  + " does not exist"));
      return Optional.empty();
    }
    List<ClauseCheck> classClauses = new ArrayList<>();
    List<ClauseCheck> askClauses = new ArrayList<>();
    String classOwner = "class " + ask.className();
    if (!add(
            classClauses,
            deviceClass.getSpec() == null ? null : deviceClass.getSpec().getSelectors(),
            classOwner,
            ask,
            causes)
        || !add(askClauses, ask.selectors(), "request " + ask.name(), ask, causes)) {
      return Optional.empty();
    }
    Set<String> nodeSet = Set.copyOf(nodes);
    Map<String, List<Candidate>> matching = new TreeMap<>();
    Map<String, List<Candidate>> usable = new TreeMap<>();
    Map<String, Map<Unusable, Set<String>>> unusable = new TreeMap<>();
    Map<String, Map<Unusable, Set<String>>> holders = new TreeMap<>();
    List<Candidate> inClass = new ArrayList<>();
    List<Candidate> inScope = new ArrayList<>();
    for (Candidate device : cluster.devices()) {
      Collection<String> seenBy = ClusterDevices.seenBy(device, nodeSet, scope);
      if (seenBy.isEmpty()) {
        continue;
      }
      inScope.add(device);
      if (!allTrue(classClauses, device)) {
        continue;
      }
      inClass.add(device);
      if (!allTrue(askClauses, device)) {
        continue;
      }
      for (String node : seenBy) {
        matching.computeIfAbsent(node, n -> new ArrayList<>()).add(device);
        Optional<Unusable> why = Unusable.of(device, ask, cluster);
        if (why.isPresent()) {
          unusable
              .computeIfAbsent(node, n -> new LinkedHashMap<>())
              .computeIfAbsent(why.get(), w -> new TreeSet<>())
              .add(device.key().device());
          holders
              .computeIfAbsent(node, n -> new LinkedHashMap<>())
              .computeIfAbsent(why.get(), w -> new TreeSet<>())
              .addAll(why.get().holders());
        } else {
          usable.computeIfAbsent(node, n -> new ArrayList<>()).add(device);
        }
      }
    }
    if (matching.isEmpty()) {
      if (inScope.isEmpty()) {
        causes.add(
            new Cause(
                ask.name(),
                Cause.Kind.POOL,
                "request \"" + ask.name() + "\": no devices are published on " + Names.of(nodes)));
      } else if (inClass.isEmpty()) {
        causes.addAll(
            NearestMisses.of(ask.name(), inScope, concat(classClauses, askClauses), MISSES_NAMED));
      } else {
        causes.addAll(NearestMisses.of(ask.name(), inClass, askClauses, MISSES_NAMED));
      }
      return Optional.empty();
    }
    return Optional.of(new AskTally(ask, matching, usable, unusable, holders));
  }

  /**
   * The selector clauses of {@code ask}'s DeviceClass and of the ask itself; empty when the class
   * does not exist or a selector is not valid (which the allocator reports itself).
   */
  Optional<List<ClauseCheck>> clausesOf(DeviceAsk ask) {
    DeviceClass deviceClass = classes.get(ask.className());
    List<ClauseCheck> out = new ArrayList<>();
    List<Cause> ignored = new ArrayList<>();
    if (deviceClass == null
        || !add(
            out,
            deviceClass.getSpec() == null ? null : deviceClass.getSpec().getSelectors(),
            "class " + ask.className(),
            ask,
            ignored)
        || !add(out, ask.selectors(), "request " + ask.name(), ask, ignored)) {
      return Optional.empty();
    }
    return Optional.of(out);
  }

  /** The devices diagnosis sees. */
  ClusterDevices cluster() {
    return cluster;
  }

  private boolean add(
      List<ClauseCheck> into,
      List<DeviceSelector> selectors,
      String owner,
      DeviceAsk ask,
      List<Cause> causes) {
    for (DeviceSelector s : ClusterDevices.nullToEmpty(selectors)) {
      String expression = s.getCel() == null ? null : s.getCel().getExpression();
      if (expression == null) {
        causes.add(
            new Cause(ask.name(), Cause.Kind.INVALID, owner + ": selector has no CEL expression"));
        return false;
      }
      Optional<List<ClauseCheck>> checks =
          cluster.published().clauses(owner + "\n" + expression, () -> compile(expression, owner));
      if (checks.isEmpty()) {
        Compilation c = cache.getOrCompile(expression);
        causes.add(
            new Cause(
                ask.name(),
                Cause.Kind.INVALID,
                owner + ": selector does not compile: " + ((Compilation.Invalid) c).message()));
        return false;
      }
      into.addAll(checks.get());
    }
    return true;
  }

  private Optional<List<ClauseCheck>> compile(String expression, String owner) {
    List<ClauseCheck> out = new ArrayList<>();
    for (String clause : SelectorClauses.split(expression)) {
      Optional<ClauseCheck> check = ClauseCheck.of(clause, owner, cache, cluster.devices().size());
      if (check.isEmpty()) {
        // The text split went wrong somewhere: fall back to the selector as one clause.
        return ClauseCheck.of(expression, owner, cache, cluster.devices().size()).map(List::of);
      }
      out.add(check.get());
    }
    return Optional.of(List.copyOf(out));
  }

  private static boolean allTrue(List<ClauseCheck> checks, Candidate device) {
    for (ClauseCheck c : checks) {
      if (c.evaluate(device) != ClauseCheck.Outcome.TRUE) {
        return false;
      }
    }
    return true;
  }

  private static List<ClauseCheck> concat(List<ClauseCheck> a, List<ClauseCheck> b) {
    List<ClauseCheck> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
