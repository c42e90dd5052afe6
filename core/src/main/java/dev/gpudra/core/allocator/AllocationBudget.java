package dev.gpudra.core.allocator;

import java.time.Duration;

/**
 * Bounds one allocation: at most {@code maxSteps} search steps and at most {@code timeout} of wall
 * time, whichever comes first. The upstream scheduler bounds each node's allocation with a 10 s
 * filter timeout; a step bound additionally makes the bound reproducible.
 *
 * @param maxSteps maximum number of search steps (one step places or skips one device slot)
 * @param timeout maximum wall time; {@link Duration#ZERO} means no time bound
 */
public record AllocationBudget(long maxSteps, Duration timeout) {
  /** The scheduler's default: 10 s, and a step bound well beyond what any real claim needs. */
  public static final AllocationBudget DEFAULT =
      new AllocationBudget(100_000_000L, Duration.ofSeconds(10));

  /** Validates. */
  public AllocationBudget {
    if (maxSteps <= 0) {
      throw new IllegalArgumentException("maxSteps must be positive: " + maxSteps);
    }
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be zero or positive: " + timeout);
    }
  }

  /** A budget of steps only, independent of the machine's speed. */
  public static AllocationBudget steps(long maxSteps) {
    return new AllocationBudget(maxSteps, Duration.ZERO);
  }
}
