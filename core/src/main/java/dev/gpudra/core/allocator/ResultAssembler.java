package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClaimConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Turns the search's choices into {@code status.allocation} objects, as Kubernetes does.
 *
 * <ul>
 *   <li>One result per chosen device, in the order chosen, with the request name ({@code
 *       request/sub} for sub-requests), admin access, the request's tolerations, and for devices
 *       that allow multiple allocations a share ID and the consumed capacity.
 *   <li>Class configs once per class, naming every request that used the class; claim configs that
 *       name a request or the chosen sub-request; a config naming every request lists none.
 *   <li>A node selector: the node itself if any device is node-local or binds to the node,
 *       otherwise the union of the slices' node selector requirements, or none for devices usable
 *       everywhere.
 * </ul>
 *
 * <p>Share IDs are name-based UUIDs of claim, result index and device, so the result is
 * deterministic and still unique per share.
 */
final class ResultAssembler {
  private ResultAssembler() {}

  static AllocationResult assemble(
      ResourceClaim claim, int claimIndex, Search search, RequestPlanner.Plan plan, String node) {
    List<ChosenDevice> chosen = search.results().get(claimIndex);
    List<DeviceRequestAllocationResult> results = new ArrayList<>();
    for (int i = 0; i < chosen.size(); i++) {
      ChosenDevice c = chosen.get(i);
      DeviceRequestAllocationResult r = new DeviceRequestAllocationResult();
      r.setRequest(c.request().fullName());
      r.setDriver(c.device().id.driver());
      r.setPool(c.device().id.pool());
      r.setDevice(c.device().id.device());
      if (c.request().adminAccess()) {
        r.setAdminAccess(true);
      }
      if (!c.request().tolerations().isEmpty()) {
        r.setTolerations(new ArrayList<>(c.request().tolerations()));
      }
      if (c.consumedCapacity() != null) {
        r.setShareID(shareId(claim, i, c.device().id));
        if (!c.consumedCapacity().isEmpty()) {
          Map<String, Quantity> consumed = new TreeMap<>();
          c.consumedCapacity().forEach((k, v) -> consumed.put(k, quantity(v)));
          r.setConsumedCapacity(consumed);
        }
      }
      results.add(r);
    }
    DeviceAllocationResult devices = new DeviceAllocationResult();
    devices.setResults(results);
    devices.setConfig(configs(claim, claimIndex, search, plan));
    AllocationResult allocation = new AllocationResult();
    allocation.setDevices(devices);
    allocation.setNodeSelector(nodeSelector(chosen, node));
    return allocation;
  }

  private static List<DeviceAllocationConfiguration> configs(
      ResourceClaim claim, int claimIndex, Search search, RequestPlanner.Plan plan) {
    List<DeviceRequest> requests = RequestPlanner.requests(claim);
    List<List<RequestSlot>> slots = plan.slots().get(claimIndex);
    List<String> chosenNames = new ArrayList<>();
    List<DeviceAllocationConfiguration> configs = new ArrayList<>();
    Map<String, int[]> classRanges = new LinkedHashMap<>();
    for (int r = 0; r < requests.size(); r++) {
      List<RequestSlot> alternatives = slots.get(r);
      RequestSlot slot =
          alternatives.size() == 1 && alternatives.get(0).view().parentName() == null
              ? alternatives.get(0)
              : alternatives.get(search.selectedSubRequest(claimIndex, r));
      String name = slot.view().fullName();
      chosenNames.add(name);
      String className = slot.deviceClass().getMetadata().getName();
      int[] range = classRanges.get(className);
      if (range != null) {
        for (int i = range[0]; i < range[1]; i++) {
          configs.get(i).getRequests().add(name);
        }
        continue;
      }
      int start = configs.size();
      if (slot.deviceClass().getSpec() != null) {
        for (DeviceClassConfiguration cc :
            NodeMatcher.nullToEmpty(slot.deviceClass().getSpec().getConfig())) {
          DeviceAllocationConfiguration dc = new DeviceAllocationConfiguration();
          dc.setSource("FromClass");
          dc.setRequests(new ArrayList<>(List.of(name)));
          dc.setOpaque(cc.getOpaque());
          configs.add(dc);
        }
      }
      classRanges.put(className, new int[] {start, configs.size()});
    }
    List<DeviceClaimConfiguration> claimConfigs =
        claim.getSpec().getDevices().getConfig() == null
            ? List.of()
            : claim.getSpec().getDevices().getConfig();
    for (DeviceClaimConfiguration cc : claimConfigs) {
      List<String> names = NodeMatcher.nullToEmpty(cc.getRequests());
      boolean applies = names.isEmpty();
      for (int r = 0; r < requests.size() && !applies; r++) {
        applies = names.contains(requests.get(r).getName()) || names.contains(chosenNames.get(r));
      }
      if (applies) {
        DeviceAllocationConfiguration dc = new DeviceAllocationConfiguration();
        dc.setSource("FromClaim");
        dc.setRequests(new ArrayList<>(names));
        dc.setOpaque(cc.getOpaque());
        configs.add(dc);
      }
    }
    for (DeviceAllocationConfiguration dc : configs) {
      List<String> names = dc.getRequests();
      if (names == null || names.isEmpty()) {
        continue;
      }
      boolean all = true;
      for (int r = 0; r < requests.size() && all; r++) {
        all = names.contains(requests.get(r).getName()) || names.contains(chosenNames.get(r));
      }
      if (all) {
        dc.setRequests(new ArrayList<>());
      }
    }
    return configs;
  }

  private static NodeSelector nodeSelector(List<ChosenDevice> chosen, String node) {
    List<NodeSelectorRequirement> fields = new ArrayList<>();
    List<NodeSelectorRequirement> expressions = new ArrayList<>();
    for (ChosenDevice c : chosen) {
      SliceEntry slice = c.device().slice;
      String nodeName;
      NodeSelector selector;
      if (slice.perDeviceNodeSelection) {
        nodeName = c.device().device.getNodeName();
        selector = c.device().device.getNodeSelector();
      } else {
        nodeName = slice.spec().getNodeName();
        selector = slice.spec().getNodeSelector();
      }
      if ((nodeName != null && !nodeName.isEmpty())
          || Boolean.TRUE.equals(c.device().device.getBindsToNode())) {
        NodeSelectorRequirement byName = new NodeSelectorRequirement();
        byName.setKey("metadata.name");
        byName.setOperator("In");
        byName.setValues(new ArrayList<>(List.of(node)));
        NodeSelectorTerm term = new NodeSelectorTerm();
        term.setMatchFields(new ArrayList<>(List.of(byName)));
        NodeSelector only = new NodeSelector();
        only.setNodeSelectorTerms(new ArrayList<>(List.of(term)));
        return only;
      }
      if (selector != null) {
        List<NodeSelectorTerm> terms = NodeMatcher.nullToEmpty(selector.getNodeSelectorTerms());
        if (terms.size() > 1) {
          throw new InvalidInputException(
              "create NodeSelector: unsupported ResourceSlice.NodeSelector with "
                  + terms.size()
                  + " terms");
        }
        if (terms.size() == 1) {
          addNew(NodeMatcher.nullToEmpty(terms.get(0).getMatchFields()), fields);
          addNew(NodeMatcher.nullToEmpty(terms.get(0).getMatchExpressions()), expressions);
        }
      }
    }
    if (fields.isEmpty() && expressions.isEmpty()) {
      return null;
    }
    NodeSelectorTerm term = new NodeSelectorTerm();
    term.setMatchFields(fields);
    term.setMatchExpressions(expressions);
    NodeSelector ns = new NodeSelector();
    ns.setNodeSelectorTerms(new ArrayList<>(List.of(term)));
    return ns;
  }

  private static void addNew(List<NodeSelectorRequirement> from, List<NodeSelectorRequirement> to) {
    for (NodeSelectorRequirement r : from) {
      boolean present = false;
      for (NodeSelectorRequirement e : to) {
        present |=
            Objects.equals(e.getKey(), r.getKey())
                && Objects.equals(e.getOperator(), r.getOperator())
                && new HashSet<>(NodeMatcher.nullToEmpty(e.getValues()))
                    .equals(new HashSet<>(NodeMatcher.nullToEmpty(r.getValues())));
      }
      if (!present) {
        to.add(r);
      }
    }
  }

  private static String shareId(ResourceClaim claim, int index, DeviceId device) {
    String uid = claim.getMetadata() == null ? "" : String.valueOf(claim.getMetadata().getUid());
    String seed = uid + "/" + SelectorMatcher.claimName(claim) + "/" + index + "/" + device;
    return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
  }

  private static Quantity quantity(BigDecimal value) {
    return new Quantity(value.stripTrailingZeros().toPlainString());
  }
}
