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

  static HealthWatch open(Channel channel) {
    HealthWatch watch = new HealthWatch(Context.current().withCancellation());
    watch.context.run(
        () ->
            DRAResourceHealthGrpc.newStub(channel)
                .nodeWatchResources(
                    NodeWatchResourcesRequest.getDefaultInstance(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(NodeWatchResourcesResponse value) {
                        watch.messages.add(value);
                      }

                      @Override
                      public void onError(Throwable t) {
                        watch.end.complete(Status.fromThrowable(t));
                      }

                      @Override
                      public void onCompleted() {
                        watch.end.complete(Status.OK);
                      }
                    }));
    return watch;
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
