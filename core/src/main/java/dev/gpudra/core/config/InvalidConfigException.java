package dev.gpudra.core.config;

/**
 * Opaque configuration that cannot be applied. The message names the offending field (a dotted path
 * below {@code parameters}, e.g. {@code sharing.mpsConfig.defaultActiveThreadPercentage}) so that a
 * user reading the claim's error knows what to change.
 */
public final class InvalidConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String field;

  /**
   * @param field dotted path of the offending field, empty for the document as a whole
   * @param message what is wrong with it
   */
  public InvalidConfigException(String field, String message) {
    super(field.isEmpty() ? message : "field " + field + ": " + message);
    this.field = field;
  }

  /** Dotted path of the offending field, empty for the document as a whole. */
  public String field() {
    return field;
  }
}
