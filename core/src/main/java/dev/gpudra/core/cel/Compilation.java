package dev.gpudra.core.cel;

import java.util.Objects;

/** The outcome of compiling one selector expression: a program, or Kubernetes' error text. */
public sealed interface Compilation {

  /** The expression compiled and can be evaluated against devices. */
  record Compiled(CompiledSelector selector) implements Compilation {
    /** Validates. */
    public Compiled {
      Objects.requireNonNull(selector, "selector");
    }
  }

  /**
   * The expression is invalid.
   *
   * @param message the same class of message Kubernetes gives, e.g. {@code compilation failed:
   *     ERROR: <input>:1:8: ...}
   */
  record Invalid(String expression, String message) implements Compilation {
    /** Validates. */
    public Invalid {
      Objects.requireNonNull(expression, "expression");
      Objects.requireNonNull(message, "message");
    }
  }
}
