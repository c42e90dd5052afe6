package dev.gpudra.plugin.server;

import dev.gpudra.plugin.health.DeviceHealthService;
import dev.gpudra.plugin.registration.RegistrationService;
import dev.gpudra.plugin.registration.RegistrationState;
import dev.gpudra.proto.dra.v1.DRAPluginGrpc;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin's two sockets, started and stopped in the order the kubelet needs.
 *
 * <p>Start: the DRA socket first, then the registration socket. The kubelet dials the advertised
 * DRA endpoint as soon as it sees the registration socket, so that endpoint must already listen.
 * Before announcing it, the plugin calls its own DRA socket once, the way the kubelet's probes do
 * ({@code NodePrepareResources} without claims). That proves the endpoint answers, and it warms the
 * JVM's gRPC and HTTP/2 code paths: the kubelet gives {@code GetInfo} one second, which a cold JVM
 * on a busy node can miss.
 *
 * <p>Stop: the registration socket first, so the kubelet deregisters the plugin before its service
 * disappears; then the health streams end; then the DRA socket, after in-flight calls had their
 * grace period. Both socket files are gone afterwards. {@link #close()} is idempotent.
 */
public final class KubeletPluginServers implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KubeletPluginServers.class);

  // As long as the kubelet waits for a new plugin socket to accept a connection.
  private static final Duration PROBE_DEADLINE = Duration.ofSeconds(10);

  private final ServingSocket dra;
  private final ServingSocket registration;
  private final RegistrationService registrationService;
  private final DeviceHealthService health;

  private KubeletPluginServers(
      ServingSocket dra,
      ServingSocket registration,
      RegistrationService registrationService,
      DeviceHealthService health) {
    this.dra = dra;
    this.registration = registration;
    this.registrationService = registrationService;
    this.health = health;
  }

  /**
   * Serves {@code draServices} and {@code health} on the DRA socket, then registration.
   *
   * <p>On success the returned servers own {@code health} and close it; on failure the caller still
   * owns it. The factory always stays the caller's, to close after the servers.
   *
   * @param draServices the DRA node services (v1, v1beta1); may be empty while none is served
   * @throws IOException when either socket cannot be served; nothing is left listening then
   */
  public static KubeletPluginServers start(
      PluginSockets sockets,
      UnixSocketServerFactory factory,
      DeviceHealthService health,
      List<? extends BindableService> draServices)
      throws IOException {
    Objects.requireNonNull(health, "health");
    List<BindableService> onDraSocket = new ArrayList<>(draServices);
    onDraSocket.add(health);
    onDraSocket.add(health.v1());

    ServingSocket dra = factory.serve(sockets.draSocket(), onDraSocket);
    RegistrationService registrationService =
        new RegistrationService(
            sockets.driverName(), dra.path(), RegistrationService.SUPPORTED_SERVICES);
    ServingSocket registration;
    try {
      probe(factory, dra.path());
      registration = factory.serve(sockets.registrationSocket(), List.of(registrationService));
    } catch (IOException | RuntimeException e) {
      dra.close();
      throw e;
    }
    LOG.info(
        "DRA driver {} ready: DRA socket {}, registration socket {}",
        sockets.driverName(),
        dra.path(),
        registration.path());
    return new KubeletPluginServers(dra, registration, registrationService, health);
  }

  /** Answered means serving: UNIMPLEMENTED is an answer too, while no DRA version is served. */
  private static void probe(UnixSocketServerFactory factory, Path draSocket) throws IOException {
    ManagedChannel channel = factory.dial(draSocket);
    try {
      var unused =
          DRAPluginGrpc.newBlockingStub(channel)
              .withDeadlineAfter(PROBE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .nodePrepareResources(NodePrepareResourcesRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
        throw new IOException(
            "DRA socket " + draSocket + " does not answer the plugin itself: " + e.getStatus(), e);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** Path of the DRA socket, as advertised to the kubelet. */
  public Path draSocket() {
    return dra.path();
  }

  /** Path of the registration socket the kubelet watches for. */
  public Path registrationSocket() {
    return registration.path();
  }

  /** What the kubelet last reported about our registration. */
  public RegistrationState registrationState() {
    return registrationService.state();
  }

  @Override
  public void close() {
    try {
      registration.close();
    } finally {
      try {
        health.close();
      } finally {
        dra.close();
      }
    }
  }
}
