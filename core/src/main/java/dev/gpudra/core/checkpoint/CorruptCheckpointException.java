package dev.gpudra.core.checkpoint;

/**
 * A checkpoint file that cannot be trusted: empty, truncated, failing its checksum, written in a
 * version this plugin does not know, or holding invalid records. Recoverable by design: the caller
 * moves the file aside and rebuilds its state.
 */
public class CorruptCheckpointException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong, readable in one log line
   */
  public CorruptCheckpointException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong
   * @param cause the underlying failure
   */
  public CorruptCheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
