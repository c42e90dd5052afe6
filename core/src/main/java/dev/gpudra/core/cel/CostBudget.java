package dev.gpudra.core.cel;

import dev.cel.common.ast.CelExpr;
import dev.cel.runtime.CelEvaluationListener;

/**
 * Counts evaluation steps of one selector run and stops it once the limit is spent.
 *
 * <p>cel-java has no cost model, unlike cel-go; one evaluated expression node costs one unit here.
 * That is a lower bound of Kubernetes' runtime cost (which also charges string and list sizes), so
 * an expression Kubernetes accepts is never cut short by this limit at the same value.
 */
final class CostBudget implements CelEvaluationListener {
  private final long limit;
  private long spent;

  CostBudget(long limit) {
    this.limit = limit;
  }

  @Override
  public void callback(CelExpr expr, Object result) {
    if (++spent > limit) {
      throw new ExceededException(limit);
    }
  }

  String explain(String message) {
    return spent > limit ? "operation cancelled: actual cost limit exceeded" : message;
  }

  /** Thrown out of the evaluator to abort it; unchecked because the listener cannot declare it. */
  static final class ExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ExceededException(long limit) {
      super("operation cancelled: actual cost limit exceeded (limit " + limit + ")");
    }
  }
}
