package dev.gpudra.plugin.dra;

import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.PrepareResult;
import dev.gpudra.proto.dra.v1.Claim;
import dev.gpudra.proto.dra.v1.DRAPluginGrpc;
import dev.gpudra.proto.dra.v1.Device;
import dev.gpudra.proto.dra.v1.NodePrepareResourceResponse;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesResponse;
import dev.gpudra.proto.dra.v1.NodeUnprepareResourceResponse;
import dev.gpudra.proto.dra.v1.NodeUnprepareResourcesRequest;
import dev.gpudra.proto.dra.v1.NodeUnprepareResourcesResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Objects;

/**
 * The kubelet's DRA v1 API: translates its messages to and from {@link DraService}, which holds the
 * logic shared by every API version.
 */
public final class DraV1Service extends DRAPluginGrpc.DRAPluginImplBase {

  private final DraService service;

  /**
   * @param service the version-independent DRA service
   */
  public DraV1Service(DraService service) {
    this.service = Objects.requireNonNull(service, "service");
  }

  @Override
  public void nodePrepareResources(
      NodePrepareResourcesRequest request,
      StreamObserver<NodePrepareResourcesResponse> responseObserver) {
    NodePrepareResourcesResponse.Builder response = NodePrepareResourcesResponse.newBuilder();
    service
        .prepare(refs(request.getClaimsList()))
        .forEach((uid, result) -> response.putClaims(uid, answer(result)));
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  @Override
  public void nodeUnprepareResources(
      NodeUnprepareResourcesRequest request,
      StreamObserver<NodeUnprepareResourcesResponse> responseObserver) {
    NodeUnprepareResourcesResponse.Builder response = NodeUnprepareResourcesResponse.newBuilder();
    service
        .unprepare(refs(request.getClaimsList()))
        .forEach(
            (uid, error) -> {
              NodeUnprepareResourceResponse.Builder one =
                  NodeUnprepareResourceResponse.newBuilder();
              error.ifPresent(one::setError);
              response.putClaims(uid, one.build());
            });
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  private static NodePrepareResourceResponse answer(PrepareResult result) {
    NodePrepareResourceResponse.Builder one = NodePrepareResourceResponse.newBuilder();
    switch (result) {
      case PrepareResult.Prepared prepared -> {
        for (CheckpointedDevice d : prepared.devices()) {
          Device.Builder device =
              Device.newBuilder()
                  .addAllRequestNames(d.requestNames())
                  .setPoolName(d.poolName())
                  .setDeviceName(d.deviceName())
                  .addAllCdiDeviceIds(d.cdiDeviceIds());
          // The kubelet keys a shared device's CDI ids by its share.
          if (d.shareId() != null) {
            device.setShareId(d.shareId());
          }
          one.addDevices(device);
        }
      }
      case PrepareResult.Failed failed -> one.setError(failed.error());
    }
    return one.build();
  }

  private static List<ClaimRef> refs(List<Claim> claims) {
    return claims.stream()
        .map(c -> new ClaimRef(c.getNamespace(), c.getUid(), c.getName()))
        .toList();
  }
}
