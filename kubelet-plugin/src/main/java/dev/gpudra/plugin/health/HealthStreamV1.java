package dev.gpudra.plugin.health;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.gpudra.proto.health.v1.DRAResourceHealthGrpc;
import dev.gpudra.proto.health.v1.NodeWatchResourcesRequest;
import dev.gpudra.proto.health.v1.NodeWatchResourcesResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.List;

/**
 * {@code v1.DRAResourceHealth}: a thin translator onto {@link DeviceHealthService}, which owns the
 * streams of both protocol versions. Kubelets that advertise v1 pick it over v1alpha1.
 *
 * <p>v1 declares the same messages with the same field numbers as v1alpha1 (the wire contract test
 * holds both to the kubelet's tables), so a v1 message is the v1alpha1 one's bytes re-read: the two
 * versions cannot drift apart.
 */
final class HealthStreamV1 extends DRAResourceHealthGrpc.DRAResourceHealthImplBase {

  private final DeviceHealthService service;

  HealthStreamV1(DeviceHealthService service) {
    this.service = service;
  }

  @Override
  public void nodeWatchResources(
      NodeWatchResourcesRequest request,
      StreamObserver<NodeWatchResourcesResponse> responseObserver) {
    var call = (ServerCallStreamObserver<NodeWatchResourcesResponse>) responseObserver;
    service.open(
        new DeviceHealthService.Stream<>(call) {
          @Override
          NodeWatchResourcesResponse message(List<HealthReport> reports, Instant now) {
            try {
              return NodeWatchResourcesResponse.parseFrom(
                  DeviceHealthService.v1alpha1Message(reports, now).toByteString());
            } catch (InvalidProtocolBufferException e) {
              throw new IllegalStateException("v1 and v1alpha1 health messages diverged", e);
            }
          }
        });
  }
}
