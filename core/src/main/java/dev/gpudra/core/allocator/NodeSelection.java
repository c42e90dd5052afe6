package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;

/**
 * The allocator's rule for which nodes see a slice or device ({@code nodeName}, {@code allNodes},
 * {@code nodeSelector}), for code outside it that must agree with it (pending-claim diagnosis).
 */
public final class NodeSelection {
  private NodeSelection() {}

  /** Whether {@code node} sees what these fields select; a malformed selector selects nothing. */
  public static boolean visible(
      Node node, String nodeName, boolean allNodes, NodeSelector selector) {
    try {
      return NodeMatcher.matches(node, nodeName, allNodes, selector);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
