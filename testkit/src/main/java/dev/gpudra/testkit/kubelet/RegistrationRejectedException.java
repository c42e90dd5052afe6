package dev.gpudra.testkit.kubelet;

/** The emulated kubelet refused a plugin; the plugin has been told the same reason. */
public final class RegistrationRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public RegistrationRejectedException(String reason) {
    super(reason);
  }
}
