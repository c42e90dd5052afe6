package dev.gpudra.plugin.sharing;

/**
 * A driver tool (such as {@code nvidia-smi}) could not be found, run, or refused the change; the
 * message names the command line, its exit status and what it printed.
 */
public final class DriverToolException extends Exception {

  private static final long serialVersionUID = 1L;

  /**
   * @param message what was run and how it failed
   * @param cause the I/O error, when there was one
   */
  public DriverToolException(String message, Throwable cause) {
    super(message, cause);
  }
}
