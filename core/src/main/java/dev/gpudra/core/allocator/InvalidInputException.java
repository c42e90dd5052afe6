package dev.gpudra.core.allocator;

/**
 * Raised inside the search for input that no node could satisfy as given; becomes {@link
 * AllocationOutcome.Invalid}. Unchecked because it crosses the recursive search in one jump.
 */
final class InvalidInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InvalidInputException(String message) {
    super(message);
  }
}
