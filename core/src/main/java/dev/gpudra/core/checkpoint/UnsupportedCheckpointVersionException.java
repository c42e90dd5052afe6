package dev.gpudra.core.checkpoint;

/**
 * A checkpoint written in a version this plugin does not read, typically by a newer plugin before a
 * downgrade. Like any untrusted checkpoint it is moved aside, never half-understood; a type of its
 * own so that the log and metrics can say that the file is not damaged but newer.
 */
public final class UnsupportedCheckpointVersionException extends CorruptCheckpointException {
  private static final long serialVersionUID = 1L;

  private final int version;

  /**
   * @param version the version the file declares
   * @param message what is wrong, readable in one log line
   */
  public UnsupportedCheckpointVersionException(int version, String message) {
    super(message);
    this.version = version;
  }

  /** The version the file declares. */
  public int version() {
    return version;
  }
}
