package dev.gpudra.plugin.server;

import dev.gpudra.plugin.metrics.MetricsServer;
import dev.gpudra.plugin.registration.RegistrationState;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Readiness of the plugin's pod: ready only while the kubelet holds the plugin registered (its
 * latest {@code NotifyRegistrationStatus} said {@code registered=true}) and the node's
 * ResourceSlices have been published at least once.
 *
 * <p>Why registration and not just serving sockets: during a DaemonSet rolling update with {@code
 * maxSurge}, the controller deletes the old pod as soon as the new one is ready. A new pod that is
 * ready before the kubelet registered it leaves a gap with no registered plugin, in which every
 * prepare fails with "DRA driver ... is not registered". {@code GetInfo} alone proves nothing here,
 * because the liveness check calls it too; only the kubelet sends the notification.
 *
 * <p>A kubelet that reports a failed registration makes the pod not ready again, until a retry
 * succeeds. Once published, slices keep the pod ready through later failed passes: the slices on
 * the API server stay as they were and the publisher retries. Thread-safe.
 */
public final class RegistrationReadinessCheck implements MetricsServer.ReadinessCheck {

  private final Supplier<RegistrationState> registration;
  private final BooleanSupplier slicesPublished;

  /**
   * @param registration what the kubelet last said about the registration
   * @param slicesPublished whether the node's slices have been published
   */
  public RegistrationReadinessCheck(
      Supplier<RegistrationState> registration, BooleanSupplier slicesPublished) {
    this.registration = Objects.requireNonNull(registration, "registration");
    this.slicesPublished = Objects.requireNonNull(slicesPublished, "slicesPublished");
  }

  @Override
  public String get() {
    RegistrationState state = registration.get();
    if (!state.registered()) {
      return state
          .lastError()
          .map(error -> "the kubelet rejected the registration: " + error)
          .orElse("not registered with the kubelet yet");
    }
    if (!slicesPublished.getAsBoolean()) {
      return "ResourceSlices not published yet";
    }
    return null;
  }
}
