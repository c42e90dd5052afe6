package dev.gpudra.core.allocator;

import java.util.Objects;

/** One reason why a request finds no devices. */
public sealed interface UnsatisfiableReason {

  /** No ResourceSlice of any pool is visible from the node. */
  record NoSlicesForNode(String node) implements UnsatisfiableReason {
    /** Validates. */
    public NoSlicesForNode {
      Objects.requireNonNull(node, "node");
    }
  }

  /** A pool is being updated (not all its slices are published) or is inconsistent. */
  record PoolUnusable(PoolId pool, String why) implements UnsatisfiableReason {
    /** Validates. */
    public PoolUnusable {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(why, "why");
    }
  }

  /** Device class or request selectors were false on this many devices. */
  record SelectorFalse(int devices) implements UnsatisfiableReason {}

  /** This many devices matched but other claims hold them. */
  record MatchingDevicesAllocated(int devices) implements UnsatisfiableReason {}

  /** This many devices matched but carry a taint the request does not tolerate. */
  record Tainted(int devices) implements UnsatisfiableReason {}

  /** Fewer usable devices matched than the request needs. */
  record NotEnoughDevices(int needed, int usable) implements UnsatisfiableReason {}

  /**
   * Enough devices match each request on their own, but no combination satisfies the claim's
   * constraints ({@code matchAttribute}/{@code distinctAttribute}) or the pools' shared counters.
   */
  record ConstraintOrCounterMismatch(String detail) implements UnsatisfiableReason {
    /** Validates. */
    public ConstraintOrCounterMismatch {
      Objects.requireNonNull(detail, "detail");
    }
  }
}
