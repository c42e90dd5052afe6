package dev.gpudra.plugin.registration;

import java.util.Objects;
import java.util.Optional;

/**
 * What the kubelet last said about our registration, for probes and logs.
 *
 * @param registered whether the kubelet's latest notification reported success
 * @param lastError the error of the latest failed registration, kept after a later success so that
 *     a flapping registration stays visible
 */
public record RegistrationState(boolean registered, Optional<String> lastError) {

  /** Before the kubelet has said anything. */
  public static final RegistrationState NOT_YET_REGISTERED =
      new RegistrationState(false, Optional.empty());

  public RegistrationState {
    Objects.requireNonNull(lastError, "lastError");
  }

  RegistrationState succeeded() {
    return new RegistrationState(true, lastError);
  }

  RegistrationState failed(String error) {
    return new RegistrationState(false, Optional.of(error));
  }
}
