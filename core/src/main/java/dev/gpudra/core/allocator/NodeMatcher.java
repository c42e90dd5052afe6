package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a slice or device is visible from a node, with the semantics of Kubernetes' node
 * affinity: a node name must equal the node's; {@code allNodes} matches every node; a node selector
 * matches when any of its terms matches, a term when all its requirements match, and a term without
 * requirements matches nothing.
 */
final class NodeMatcher {
  private NodeMatcher() {}

  /**
   * Whether the node is selected.
   *
   * @throws IllegalArgumentException when the selector is malformed
   */
  static boolean matches(Node node, String nodeName, boolean allNodes, NodeSelector selector) {
    if (nodeName != null && !nodeName.isEmpty()) {
      return node != null && nodeName.equals(name(node));
    }
    if (allNodes) {
      return true;
    }
    if (selector != null) {
      return selectorMatches(node, selector);
    }
    return false;
  }

  static boolean selectorMatches(Node node, NodeSelector selector) {
    boolean matched = false;
    for (NodeSelectorTerm term : nullToEmpty(selector.getNodeSelectorTerms())) {
      List<NodeSelectorRequirement> expressions = nullToEmpty(term.getMatchExpressions());
      List<NodeSelectorRequirement> fields = nullToEmpty(term.getMatchFields());
      if (expressions.isEmpty() && fields.isEmpty()) {
        continue;
      }
      // Every term is parsed even after a match, so a malformed later term is still an error.
      boolean all = true;
      for (NodeSelectorRequirement r : expressions) {
        all &= labelMatches(node, r);
      }
      for (NodeSelectorRequirement r : fields) {
        all &= fieldMatches(node, r);
      }
      matched |= all;
    }
    return matched;
  }

  private static boolean labelMatches(Node node, NodeSelectorRequirement r) {
    Map<String, String> labels =
        node == null || node.getMetadata() == null || node.getMetadata().getLabels() == null
            ? Map.of()
            : node.getMetadata().getLabels();
    List<String> values = nullToEmpty(r.getValues());
    String key = r.getKey();
    String op = String.valueOf(r.getOperator());
    switch (op) {
      case "In", "NotIn" -> {
        if (values.isEmpty()) {
          throw new IllegalArgumentException(
              "for 'in', 'notin' operators, values set can't be empty");
        }
        boolean in = labels.containsKey(key) && values.contains(labels.get(key));
        return op.equals("In") ? in : !in;
      }
      case "Exists", "DoesNotExist" -> {
        if (!values.isEmpty()) {
          throw new IllegalArgumentException(
              "values set must be empty for exists and does not exist");
        }
        return op.equals("Exists") == labels.containsKey(key);
      }
      case "Gt", "Lt" -> {
        if (values.size() != 1) {
          throw new IllegalArgumentException(
              "for 'Gt', 'Lt' operators, exactly one value is required");
        }
        long bound = parseLong(values.get(0));
        if (!labels.containsKey(key)) {
          return false;
        }
        long actual;
        try {
          actual = Long.parseLong(labels.get(key));
        } catch (NumberFormatException e) {
          return false;
        }
        return op.equals("Gt") ? actual > bound : actual < bound;
      }
      default -> throw new IllegalArgumentException(op + " is not a valid label selector operator");
    }
  }

  private static boolean fieldMatches(Node node, NodeSelectorRequirement r) {
    List<String> values = nullToEmpty(r.getValues());
    if (!"metadata.name".equals(r.getKey())) {
      throw new IllegalArgumentException("not a valid field selector key: " + r.getKey());
    }
    if (values.size() != 1) {
      throw new IllegalArgumentException(
          "unexpected number of value (" + values.size() + ") for node field selector operator");
    }
    boolean equal = node != null && values.get(0).equals(name(node));
    return switch (String.valueOf(r.getOperator())) {
      case "In" -> equal;
      case "NotIn" -> !equal;
      default ->
          throw new IllegalArgumentException(
              r.getOperator() + " is not a valid node field selector operator");
    };
  }

  private static long parseLong(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "for 'Gt', 'Lt' operators, the value must be an integer", e);
    }
  }

  static String name(Node node) {
    return node.getMetadata() == null ? null : node.getMetadata().getName();
  }

  static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
