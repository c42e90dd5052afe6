package dev.gpudra.plugin.server;

import dev.gpudra.plugin.metrics.MetricsServer;
import dev.gpudra.proto.dra.v1.DRAPluginGrpc;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest;
import dev.gpudra.proto.registration.v1.InfoRequest;
import dev.gpudra.proto.registration.v1.RegistrationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Liveness through the plugin's own sockets, as the kubelet reaches it: {@code GetInfo} on the
 * registration socket and an empty {@code NodePrepareResources} on the DRA socket. An empty prepare
 * touches no state, so probing is free of side effects.
 */
public final class SocketLivenessCheck implements MetricsServer.LivenessCheck {

  private static final long DEADLINE_MS = 5_000;

  private final UnixSocketServerFactory factory;
  private final Path registrationSocket;
  private final Path draSocket;

  /**
   * @param factory dials the sockets
   * @param registrationSocket the registration socket
   * @param draSocket the DRA socket
   */
  public SocketLivenessCheck(
      UnixSocketServerFactory factory, Path registrationSocket, Path draSocket) {
    this.factory = factory;
    this.registrationSocket = registrationSocket;
    this.draSocket = draSocket;
  }

  @Override
  public String get() {
    ManagedChannel reg = factory.dial(registrationSocket);
    ManagedChannel dra = factory.dial(draSocket);
    try {
      var unusedInfo =
          RegistrationGrpc.newBlockingStub(reg)
              .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
              .getInfo(InfoRequest.getDefaultInstance());
      var unusedPrepare =
          DRAPluginGrpc.newBlockingStub(dra)
              .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
              .nodePrepareResources(NodePrepareResourcesRequest.getDefaultInstance());
      return null;
    } catch (StatusRuntimeException e) {
      return "plugin socket does not answer: " + e.getStatus();
    } finally {
      reg.shutdownNow();
      dra.shutdownNow();
    }
  }
}
