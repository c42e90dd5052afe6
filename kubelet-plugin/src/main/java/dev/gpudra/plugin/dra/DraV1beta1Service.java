package dev.gpudra.plugin.dra;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc;
import dev.gpudra.proto.dra.v1beta1.NodePrepareResourcesRequest;
import dev.gpudra.proto.dra.v1beta1.NodePrepareResourcesResponse;
import dev.gpudra.proto.dra.v1beta1.NodeUnprepareResourcesRequest;
import dev.gpudra.proto.dra.v1beta1.NodeUnprepareResourcesResponse;
import io.grpc.stub.StreamObserver;
import java.util.Objects;

/**
 * The kubelet's DRA v1beta1 API, served by {@link DraV1Service}. The v1beta1 messages are the v1
 * messages less fields this driver never sets ({@code Device.share_id}), with the same field
 * numbers, so each message is carried across in its wire form: no second copy of the translation to
 * {@link DraService}.
 */
public final class DraV1beta1Service extends DRAPluginGrpc.DRAPluginImplBase {

  private final DraV1Service v1;

  /**
   * @param service the version-independent DRA service
   */
  public DraV1beta1Service(DraService service) {
    this.v1 = new DraV1Service(Objects.requireNonNull(service, "service"));
  }

  @Override
  public void nodePrepareResources(
      NodePrepareResourcesRequest request,
      StreamObserver<NodePrepareResourcesResponse> responseObserver) {
    v1.nodePrepareResources(
        reparse(request, dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest.parser()),
        new Reparsing<>(responseObserver, NodePrepareResourcesResponse.parser()));
  }

  @Override
  public void nodeUnprepareResources(
      NodeUnprepareResourcesRequest request,
      StreamObserver<NodeUnprepareResourcesResponse> responseObserver) {
    v1.nodeUnprepareResources(
        reparse(request, dev.gpudra.proto.dra.v1.NodeUnprepareResourcesRequest.parser()),
        new Reparsing<>(responseObserver, NodeUnprepareResourcesResponse.parser()));
  }

  private static <T> T reparse(MessageLite message, Parser<T> parser) {
    try {
      return parser.parseFrom(message.toByteString());
    } catch (InvalidProtocolBufferException e) {
      // Both versions share their wire format; a message of one is always one of the other.
      throw new IllegalStateException("v1 and v1beta1 DRA messages no longer match", e);
    }
  }

  /** Passes a v1 answer on as the v1beta1 message of the same bytes. */
  private record Reparsing<V1 extends MessageLite, B>(StreamObserver<B> target, Parser<B> parser)
      implements StreamObserver<V1> {

    @Override
    public void onNext(V1 value) {
      target.onNext(reparse(value, parser));
    }

    @Override
    public void onError(Throwable t) {
      target.onError(t);
    }

    @Override
    public void onCompleted() {
      target.onCompleted();
    }
  }
}
