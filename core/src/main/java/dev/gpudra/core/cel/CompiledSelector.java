package dev.gpudra.core.cel;

import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.Map;

/** A compiled, immutable selector program. Thread-safe: evaluation keeps its state on the stack. */
public final class CompiledSelector {
  private final String expression;
  private final CelRuntime.Program program;
  private final long costLimit;

  CompiledSelector(String expression, CelRuntime.Program program, long costLimit) {
    this.expression = expression;
    this.program = program;
    this.costLimit = costLimit;
  }

  /** The source text. */
  public String expression() {
    return expression;
  }

  /**
   * Evaluates the selector for one device.
   *
   * @throws SelectorEvaluationException on runtime errors, non-boolean results and when the
   *     evaluation exceeds the cost limit
   */
  public boolean matches(DeviceInput device) throws SelectorEvaluationException {
    CostBudget budget = new CostBudget(costLimit);
    Object result;
    try {
      result = program.trace(Map.of("device", device.asVariable()), budget);
    } catch (CelEvaluationException e) {
      throw new SelectorEvaluationException(budget.explain(describe(e)), e);
    } catch (CostBudget.ExceededException e) {
      throw new SelectorEvaluationException(e.getMessage(), e);
    }
    if (result instanceof Boolean b) {
      return b;
    }
    throw new SelectorEvaluationException(
        "CEL result of type " + typeName(result) + " could not be converted to bool", null);
  }

  /** The evaluator's message plus the failing function's own reason, as Kubernetes reports it. */
  private static String describe(Throwable e) {
    StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && !message.toString().contains(cause.getMessage())) {
        message.append(": ").append(cause.getMessage());
      }
    }
    return message.toString();
  }

  private static String typeName(Object value) {
    return value == null ? "null" : value.getClass().getSimpleName();
  }

  @Override
  public String toString() {
    return expression;
  }
}
