package dev.gpudra.plugin.prepare;

/**
 * The node refused a change a claim needs (NVML would not create its MIG device, for example). The
 * message names the claim, the device and the driver's answer, and is returned to the kubelet as
 * the claim's error; whatever the failed attempt made is already removed.
 */
public final class EffectsFailedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param message the claim's error, naming claim, device and cause
   * @param cause the driver's error
   */
  public EffectsFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
