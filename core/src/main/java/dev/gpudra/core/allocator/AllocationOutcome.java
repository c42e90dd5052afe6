package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import java.util.List;
import java.util.Objects;

/** What one allocation attempt for a set of claims on one node came to. */
public sealed interface AllocationOutcome {

  /** Number of search steps spent, a machine-independent measure of effort. */
  long steps();

  /**
   * Every claim got devices. The results are in claim order and shaped like {@code
   * status.allocation}.
   */
  record Allocated(List<AllocationResult> results, long steps) implements AllocationOutcome {
    /** Freezes the list. */
    public Allocated {
      results = List.copyOf(results);
    }
  }

  /**
   * The claims cannot all be allocated on this node at this time; the reasons say why, per request,
   * for diagnostics.
   */
  record Unsatisfiable(List<RequestDiagnosis> reasons, long steps) implements AllocationOutcome {
    /** Freezes the list. */
    public Unsatisfiable {
      reasons = List.copyOf(reasons);
    }
  }

  /**
   * The input cannot be allocated as given, on any node: a missing device class, a selector that
   * does not compile or fails at run time, {@code All} over a pool being updated, and the other
   * cases in which Kubernetes' allocator returns an error rather than "does not fit".
   */
  record Invalid(String message, long steps) implements AllocationOutcome {
    /** Validates. */
    public Invalid {
      Objects.requireNonNull(message, "message");
    }
  }

  /** The search stopped because it used up its {@link AllocationBudget}. */
  record BudgetExceeded(String message, long steps) implements AllocationOutcome {
    /** Validates. */
    public BudgetExceeded {
      Objects.requireNonNull(message, "message");
    }
  }
}
