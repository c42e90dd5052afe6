package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.Compilation;
import dev.gpudra.core.cel.DeviceInput;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEvaluationException;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a device is selectable for a request: class selectors, then request selectors,
 * then (for per-device node selection) the device's own node selection. Devices with binding
 * conditions are never selectable, since binding conditions need a scheduler round trip that this
 * allocator does not model.
 *
 * <p>Whether a device matches a request does not change during one allocation, so results are
 * memoised per (device, request slot) for the duration of one {@link Search}. Not thread-safe.
 */
final class SelectorMatcher {
  private final SelectorCache cache;
  private final Node node;
  private final List<ResourceClaim> claims;
  // Per device, per request slot: 0 = not evaluated yet, 1 = no match, 2 = match.
  private final Map<DeviceEntry, byte[]> memo = new HashMap<>();

  SelectorMatcher(SelectorCache cache, Node node, List<ResourceClaim> claims) {
    this.cache = cache;
    this.node = node;
    this.claims = claims;
  }

  boolean isSelectable(RequestSlot slot, DeviceEntry device) {
    if (device.hasBindingConditions) {
      return false;
    }
    byte[] known = memo.get(device);
    if (known == null || known.length <= slot.slot()) {
      byte[] grown = new byte[Math.max(8, slot.slot() * 2 + 1)];
      if (known != null) {
        System.arraycopy(known, 0, grown, 0, known.length);
      }
      known = grown;
      memo.put(device, known);
    }
    if (known[slot.slot()] != 0) {
      return known[slot.slot()] == 2;
    }
    boolean result = evaluate(slot, device);
    known[slot.slot()] = result ? (byte) 2 : (byte) 1;
    return result;
  }

  private boolean evaluate(RequestSlot slot, DeviceEntry device) {
    if (slot.deviceClass().getSpec() != null
        && !matches(slot, device, slot.deviceClass().getSpec().getSelectors(), true)) {
      return false;
    }
    if (!matches(slot, device, slot.view().selectors(), false)) {
      return false;
    }
    if (device.slice.perDeviceNodeSelection) {
      try {
        return NodeMatcher.matches(
            node,
            device.device.getNodeName(),
            Boolean.TRUE.equals(device.device.getAllNodes()),
            device.device.getNodeSelector());
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException("failed to parse node selector: " + e.getMessage());
      }
    }
    return true;
  }

  private boolean matches(
      RequestSlot slot, DeviceEntry device, List<DeviceSelector> selectors, boolean ofClass) {
    if (selectors == null) {
      return true;
    }
    for (int i = 0; i < selectors.size(); i++) {
      DeviceSelector selector = selectors.get(i);
      String owner =
          ofClass
              ? "class " + slot.deviceClass().getMetadata().getName()
              : "claim " + claimName(claims.get(slot.claimIndex()));
      if (selector.getCel() == null || selector.getCel().getExpression() == null) {
        throw new InvalidInputException(
            owner + ", selector #" + i + ": CEL expression empty (unsupported selector type?)");
      }
      Compilation compiled = cache.getOrCompile(selector.getCel().getExpression());
      if (compiled instanceof Compilation.Invalid invalid) {
        throw new InvalidInputException(
            owner + ": selector #" + i + ": CEL compile error: " + invalid.message());
      }
      boolean match;
      try {
        DeviceInput input = device.celInput();
        match = ((Compilation.Compiled) compiled).selector().matches(input);
      } catch (SelectorEvaluationException | IllegalArgumentException e) {
        throw new InvalidInputException(
            owner
                + ": selector #"
                + i
                + " on device "
                + device.id
                + ": CEL runtime error: "
                + e.getMessage());
      }
      if (!match) {
        return false;
      }
    }
    return true;
  }

  ResourceClaim claim(int index) {
    return claims.get(index);
  }

  static String claimName(ResourceClaim claim) {
    var m = claim.getMetadata();
    if (m == null) {
      return "";
    }
    return m.getNamespace() == null || m.getNamespace().isEmpty()
        ? String.valueOf(m.getName())
        : m.getNamespace() + "/" + m.getName();
  }
}
