package dev.gpudra.plugin.dra;

import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.plugin.prepare.ClaimPreparer;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.ClaimUnpreparer;
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
import java.util.Objects;

/**
 * The kubelet's DRA v1 service: a thin translator between its messages and {@link
 * ClaimPreparer}/{@link ClaimUnpreparer}. Every claim of a request gets an entry in the answer; one
 * claim's failure is its own error string and never fails the call, which the kubelet would take as
 * a failure of every claim in it.
 */
public final class DraV1Service extends DRAPluginGrpc.DRAPluginImplBase {

  private final ClaimPreparer preparer;
  private final ClaimUnpreparer unpreparer;

  /**
   * @param preparer prepares claims
   * @param unpreparer unprepares claims
   */
  public DraV1Service(ClaimPreparer preparer, ClaimUnpreparer unpreparer) {
    this.preparer = Objects.requireNonNull(preparer, "preparer");
    this.unpreparer = Objects.requireNonNull(unpreparer, "unpreparer");
  }

  @Override
  public void nodePrepareResources(
      NodePrepareResourcesRequest request,
      StreamObserver<NodePrepareResourcesResponse> responseObserver) {
    NodePrepareResourcesResponse.Builder response = NodePrepareResourcesResponse.newBuilder();
    for (Claim claim : request.getClaimsList()) {
      PrepareResult result = preparer.prepare(ref(claim));
      NodePrepareResourceResponse.Builder one = NodePrepareResourceResponse.newBuilder();
      switch (result) {
        case PrepareResult.Prepared prepared -> {
          for (CheckpointedDevice d : prepared.devices()) {
            one.addDevices(
                Device.newBuilder()
                    .addAllRequestNames(d.requestNames())
                    .setPoolName(d.poolName())
                    .setDeviceName(d.deviceName())
                    .addAllCdiDeviceIds(d.cdiDeviceIds()));
          }
        }
        case PrepareResult.Failed failed -> one.setError(failed.error());
      }
      response.putClaims(claim.getUid(), one.build());
    }
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  @Override
  public void nodeUnprepareResources(
      NodeUnprepareResourcesRequest request,
      StreamObserver<NodeUnprepareResourcesResponse> responseObserver) {
    NodeUnprepareResourcesResponse.Builder response = NodeUnprepareResourcesResponse.newBuilder();
    for (Claim claim : request.getClaimsList()) {
      NodeUnprepareResourceResponse.Builder one = NodeUnprepareResourceResponse.newBuilder();
      unpreparer.unprepare(ref(claim)).ifPresent(one::setError);
      response.putClaims(claim.getUid(), one.build());
    }
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  private static ClaimRef ref(Claim claim) {
    return new ClaimRef(claim.getNamespace(), claim.getUid(), claim.getName());
  }
}
