package dev.gpudra.core.explain;

import dev.gpudra.core.allocator.RequestDiagnosis;
import dev.gpudra.core.allocator.UnsatisfiableReason;
import dev.gpudra.core.explain.ClusterDevices.Candidate;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The nodes where a claim cannot fit whatever the allocator tries, decided from selectors alone:
 * some request finds fewer devices there than it asks for whose selectors are not false.
 *
 * <p>Why: explaining a pending claim ran the allocator on every node, and on a large cluster of
 * identical nodes (1000 x 8 GPUs) that search is nearly all the time spent, although a claim whose
 * selector no GPU meets is pending for the same reason on every node. Selector clauses are
 * evaluated once per distinct attribute set ({@link ClauseCheck}), so ruling nodes out costs a map
 * lookup per device, and the allocator runs only where the claim could fit.
 *
 * <p>Invariant: a node is ruled out only when the allocator cannot allocate the claim there (it
 * finds it unsatisfiable, or invalid, which the explainer still learns from the few ruled-out nodes
 * it searches anyway). So a device counts unless one of its clauses is definitely false (a clause
 * that fails to evaluate counts, as does every clause of a selector the allocator would refuse:
 * then nothing is ruled out); a device that can be allocated several times counts as enough on its
 * own; and a node with devices diagnosis does not see ({@link ClusterDevices#seesAllOf}) is never
 * ruled out. Pure.
 */
final class RuledOutNodes {

  /** Why a node without slices is ruled out, in the allocator's words for it. */
  private static final String NO_SLICES =
      PendingClaimExplainer.describe(
          List.of(
              new RequestDiagnosis("", "", List.of(new UnsatisfiableReason.NoSlicesForNode("")))));

  private RuledOutNodes() {}

  /**
   * Ruled-out nodes of {@code scope} with why, in scope order; empty when it cannot be decided (an
   * invalid request, class or selector, which the allocator reports).
   */
  static Optional<Map<String, String>> of(
      ResourceClaim claim, List<Node> scope, ClaimDiagnoser diagnoser) {
    var devices = claim.getSpec() == null ? null : claim.getSpec().getDevices();
    List<DeviceRequest> requests =
        devices == null ? List.of() : ClusterDevices.nullToEmpty(devices.getRequests());
    if (requests.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (DeviceRequest request : requests) {
      List<DeviceAsk> asks = DeviceAsk.of(request);
      if (asks.isEmpty()) {
        return Optional.empty();
      }
      Set<String> possible = new HashSet<>();
      Map<String, Long> firstCounts = null;
      for (DeviceAsk ask : asks) {
        if (!ask.all() && ask.count() < 1) {
          return Optional.empty();
        }
        Optional<List<ClauseCheck>> clauses = diagnoser.clausesOf(ask);
        if (clauses.isEmpty()) {
          return Optional.empty();
        }
        Map<String, Long> counts = new HashMap<>();
        count(clauses.get(), scope, diagnoser.cluster(), counts);
        for (var e : counts.entrySet()) {
          if (e.getValue() >= (ask.all() ? 1 : ask.count())) {
            possible.add(e.getKey());
          }
        }
        if (firstCounts == null) {
          firstCounts = counts;
        }
      }
      for (Node node : scope) {
        String name = node.getMetadata().getName();
        if (!possible.contains(name)
            && !out.containsKey(name)
            && diagnoser.cluster().seesAllOf(name)) {
          out.put(
              name,
              diagnoser.cluster().noSlicesFor(name)
                  ? NO_SLICES
                  : why(request, asks, firstCounts.getOrDefault(name, 0L)));
        }
      }
    }
    return Optional.of(out);
  }

  /** Per node of {@code scope}: devices none of whose clauses is false; MAX for a shared one. */
  private static void count(
      List<ClauseCheck> clauses, List<Node> scope, ClusterDevices cluster, Map<String, Long> into) {
    Set<String> names = new HashSet<>();
    scope.forEach(n -> names.add(n.getMetadata().getName()));
    for (Candidate device : cluster.devices()) {
      Collection<String> seenBy = ClusterDevices.seenBy(device, names, scope);
      if (seenBy.isEmpty() || anyFalse(clauses, device)) {
        continue;
      }
      long weight =
          Boolean.TRUE.equals(device.device().getAllowMultipleAllocations()) ? Long.MAX_VALUE : 1;
      for (String node : seenBy) {
        into.merge(node, weight, RuledOutNodes::saturatedSum);
      }
    }
  }

  private static boolean anyFalse(List<ClauseCheck> clauses, Candidate device) {
    for (ClauseCheck c : clauses) {
      if (c.evaluate(device) == ClauseCheck.Outcome.FALSE) {
        return true;
      }
    }
    return false;
  }

  private static long saturatedSum(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  private static String why(DeviceRequest request, List<DeviceAsk> asks, long matching) {
    if (asks.size() > 1) {
      return "request \""
          + request.getName()
          + "\" finds too few devices matching the selectors of each of its "
          + asks.size()
          + " alternatives";
    }
    DeviceAsk ask = asks.get(0);
    return "request \""
        + ask.name()
        + "\" finds "
        + matching
        + " device"
        + (matching == 1 ? "" : "s")
        + " matching its selectors, needs "
        + (ask.all() ? "at least 1" : String.valueOf(ask.count()));
  }
}
