package dev.gpudra.plugin.prepare;

/**
 * A claim that cannot be prepared on this node for a reason in its own data (missing, not allocated
 * here, unknown device, bad configuration, device in use). The message is the error the kubelet
 * shows for that claim; nothing has been written for it.
 */
public final class PrepareRefusedException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * @param message the reason, naming the claim
   */
  public PrepareRefusedException(String message) {
    super(message);
  }
}
