package dev.gpudra.core.cel;

/**
 * A selector failed at run time: a missing attribute read without {@code has()}, a type mismatch,
 * or the cost limit exceeded. Kubernetes aborts allocation for the claim on such errors.
 */
public final class SelectorEvaluationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with the evaluator's message. */
  public SelectorEvaluationException(String message, Throwable cause) {
    super(message, cause);
  }
}
