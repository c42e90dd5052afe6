package dev.gpudra.testkit.kubelet;

import dev.gpudra.proto.registration.v1.PluginInfo;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A plugin the emulated kubelet registered, with its open connection to the DRA endpoint.
 *
 * @param info what the plugin answered to GetInfo
 * @param chosenService the DRA service version the kubelet will call, e.g. {@code v1.DRAPlugin}
 * @param endpoint the DRA socket dialled
 * @param draChannel connection to the endpoint; owned by the emulator
 */
public record RegisteredPlugin(
    PluginInfo info, String chosenService, Path endpoint, ManagedChannel draChannel) {

  public RegisteredPlugin {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(chosenService, "chosenService");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(draChannel, "draChannel");
  }

  /** Opens the device health stream the kubelet keeps per registered driver. */
  public HealthWatch watchHealth() {
    return HealthWatch.open(draChannel);
  }

  /** Opens the device health stream on {@code v1.DRAResourceHealth}, as newer kubelets do. */
  public HealthWatch watchHealthV1() {
    return HealthWatch.openV1(draChannel);
  }
}
