package dev.gpudra.core.allocator;

/**
 * Counts search steps against an {@link AllocationBudget}. The clock is read only every 1024 steps,
 * so the time bound costs next to nothing.
 */
final class StepCounter {
  private final long maxSteps;
  private final long deadlineNanos;
  private final boolean timed;
  private long steps;

  StepCounter(AllocationBudget budget, long startNanos) {
    this.maxSteps = budget.maxSteps();
    this.timed = !budget.timeout().isZero();
    this.deadlineNanos = timed ? startNanos + budget.timeout().toNanos() : 0;
  }

  void step() {
    steps++;
    if (steps > maxSteps) {
      throw new BudgetExceededException(
          "allocation aborted after " + maxSteps + " search steps (step budget exhausted)");
    }
    if (timed && (steps & 1023) == 0 && System.nanoTime() - deadlineNanos > 0) {
      throw new BudgetExceededException(
          "allocation aborted after " + steps + " search steps: time budget exhausted");
    }
  }

  long steps() {
    return steps;
  }

  /** Unwinds the search when the budget is spent. */
  static final class BudgetExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BudgetExceededException(String message) {
      super(message, null, false, false);
    }
  }
}
