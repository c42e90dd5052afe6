package dev.gpudra.testkit.kubelet;

import dev.gpudra.proto.health.v1alpha1.DRAResourceHealthGrpc;
import dev.gpudra.proto.health.v1alpha1.NodeWatchResourcesRequest;
import dev.gpudra.proto.health.v1alpha1.NodeWatchResourcesResponse;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's end of one {@code NodeWatchResources} stream: messages are queued as they arrive;
 * closing cancels the stream as the kubelet does when it drops the plugin.
 */
public final class HealthWatch implements AutoCloseable {

  private final Context.CancellableContext context;
  private final BlockingQueue<NodeWatchResourcesResponse> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Status> end = new CompletableFuture<>();

  private HealthWatch(Context.CancellableContext context) {
    this.context = context;
  }

  /** A stream of {@code v1alpha1.DRAResourceHealth}. */
  static HealthWatch open(Channel channel) {
    HealthWatch watch = new HealthWatch(Context.current().withCancellation());
    watch.context.run(
        () ->
            DRAResourceHealthGrpc.newStub(channel)
                .nodeWatchResources(
                    NodeWatchResourcesRequest.getDefaultInstance(), watch.observer(m -> m)));
    return watch;
  }

  /**
   * A stream of {@code v1.DRAResourceHealth}, as kubelets that know v1 open it. Its messages are
   * queued as the v1alpha1 type: the versions share every field and number, so the bytes the plugin
   * sent on the v1 path read the same.
   */
  static HealthWatch openV1(Channel channel) {
    HealthWatch watch = new HealthWatch(Context.current().withCancellation());
    watch.context.run(
        () ->
            dev.gpudra.proto.health.v1.DRAResourceHealthGrpc.newStub(channel)
                .nodeWatchResources(
                    dev.gpudra.proto.health.v1.NodeWatchResourcesRequest.getDefaultInstance(),
                    watch.observer(
                        m -> {
                          try {
                            return NodeWatchResourcesResponse.parseFrom(m.toByteString());
                          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                            throw new IllegalStateException(e);
                          }
                        })));
    return watch;
  }

  private <T> StreamObserver<T> observer(
      java.util.function.Function<T, NodeWatchResourcesResponse> asV1alpha1) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        messages.add(asV1alpha1.apply(value));
      }

      @Override
      public void onError(Throwable t) {
        end.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        end.complete(Status.OK);
      }
    };
  }

  /** The next message, or empty if none arrives within {@code timeout}. */
  public Optional<NodeWatchResourcesResponse> next(Duration timeout) throws InterruptedException {
    return Optional.ofNullable(messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS));
  }

  /** How the stream ended, once it has: OK when the plugin completed it. */
  public Optional<Status> awaitEnd(Duration timeout) throws InterruptedException {
    try {
      return Optional.of(end.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (java.util.concurrent.TimeoutException e) {
      return Optional.empty();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    context.cancel(null);
  }
}
