package dev.gpudra.plugin.registration;

import dev.gpudra.proto.health.v1alpha1.DRAResourceHealthGrpc;
import dev.gpudra.proto.registration.v1.InfoRequest;
import dev.gpudra.proto.registration.v1.PluginInfo;
import dev.gpudra.proto.registration.v1.RegistrationGrpc;
import dev.gpudra.proto.registration.v1.RegistrationStatus;
import dev.gpudra.proto.registration.v1.RegistrationStatusResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the kubelet's plugin watcher on the registration socket.
 *
 * <p>{@code GetInfo} tells the kubelet that this is a DRA plugin, its driver name, where the DRA
 * services listen and which of them it offers, most preferred first: the kubelet takes the first
 * entry it knows, so {@code v1.DRAPlugin} wins on kubelets that have it and {@code
 * v1beta1.DRAPlugin} serves 1.32/1.33 kubelets.
 *
 * <p>{@code NotifyRegistrationStatus} always answers OK: on 1.36+ kubelets an error answer itself
 * counts as a failed registration, and a rejection has already happened when the kubelet reports
 * one. A rejection is logged with the kubelet's reason and kept in {@link #state()}; the service
 * keeps serving so that the kubelet can retry.
 *
 * <p>Thread-safe.
 */
public final class RegistrationService extends RegistrationGrpc.RegistrationImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(RegistrationService.class);

  /** Plugin type of DRA drivers in {@code PluginInfo.type}. */
  public static final String DRA_PLUGIN_TYPE = "DRAPlugin";

  /** DRA node service v1 as the kubelet names it in {@code supported_versions}. */
  public static final String DRA_V1 = "v1.DRAPlugin";

  /** DRA node service v1beta1 as the kubelet names it in {@code supported_versions}. */
  public static final String DRA_V1BETA1 = "v1beta1.DRAPlugin";

  /** Health service v1alpha1; its proto package is its version, so the names coincide. */
  public static final String HEALTH_V1ALPHA1 = DRAResourceHealthGrpc.SERVICE_NAME;

  /** Health service v1, which kubelets that know it prefer; v1alpha1 goes in 1.40. */
  public static final String HEALTH_V1 =
      dev.gpudra.proto.health.v1.DRAResourceHealthGrpc.SERVICE_NAME;

  /**
   * What gpudra advertises: both DRA versions, v1 first, then the health stream, v1 first. Kubelets
   * from 1.37 on only watch health when it is advertised; older ones ignore entries they do not
   * know.
   */
  public static final List<String> SUPPORTED_SERVICES =
      List.of(DRA_V1, DRA_V1BETA1, HEALTH_V1, HEALTH_V1ALPHA1);

  private final PluginInfo info;
  private final AtomicReference<RegistrationState> state =
      new AtomicReference<>(RegistrationState.NOT_YET_REGISTERED);

  /**
   * @param driverName the DRA driver name; must equal the driver in ResourceSlices and claims
   * @param draEndpoint absolute path of the socket serving the DRA services
   * @param supportedServices services on that socket, most preferred first
   */
  public RegistrationService(String driverName, Path draEndpoint, List<String> supportedServices) {
    if (!draEndpoint.isAbsolute()) {
      throw new IllegalArgumentException("DRA endpoint must be absolute: " + draEndpoint);
    }
    if (supportedServices.isEmpty()) {
      throw new IllegalArgumentException("a DRA plugin must offer at least one service");
    }
    this.info =
        PluginInfo.newBuilder()
            .setType(DRA_PLUGIN_TYPE)
            .setName(driverName)
            .setEndpoint(draEndpoint.toString())
            .addAllSupportedVersions(supportedServices)
            .build();
  }

  /** The latest registration outcome the kubelet reported. */
  public RegistrationState state() {
    return state.get();
  }

  @Override
  public void getInfo(InfoRequest request, StreamObserver<PluginInfo> responseObserver) {
    responseObserver.onNext(info);
    responseObserver.onCompleted();
  }

  @Override
  public void notifyRegistrationStatus(
      RegistrationStatus status, StreamObserver<RegistrationStatusResponse> responseObserver) {
    if (status.getPluginRegistered()) {
      state.updateAndGet(RegistrationState::succeeded);
      LOG.info(
          "Kubelet registered DRA driver {} with endpoint {} (offered {})",
          info.getName(),
          info.getEndpoint(),
          info.getSupportedVersionsList());
    } else {
      String error = status.getError().isBlank() ? "(kubelet gave no reason)" : status.getError();
      state.updateAndGet(s -> s.failed(error));
      LOG.error(
          "Kubelet REJECTED registration of DRA driver {} (endpoint {}, offered {}): {}."
              + " Still serving: kubelets 1.36+ retry with backoff, older kubelets only when"
              + " the registration socket is re-created (restart the plugin pod).",
          info.getName(),
          info.getEndpoint(),
          info.getSupportedVersionsList(),
          error);
    }
    responseObserver.onNext(RegistrationStatusResponse.getDefaultInstance());
    responseObserver.onCompleted();
  }
}
