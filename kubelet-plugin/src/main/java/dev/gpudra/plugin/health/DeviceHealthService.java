package dev.gpudra.plugin.health;

import dev.gpudra.proto.health.v1alpha1.DRAResourceHealthGrpc;
import dev.gpudra.proto.health.v1alpha1.DeviceHealth;
import dev.gpudra.proto.health.v1alpha1.DeviceIdentifier;
import dev.gpudra.proto.health.v1alpha1.HealthStatus;
import dev.gpudra.proto.health.v1alpha1.NodeWatchResourcesRequest;
import dev.gpudra.proto.health.v1alpha1.NodeWatchResourcesResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the kubelet's device health stream, {@code v1alpha1.DRAResourceHealth} itself and {@code
 * v1.DRAResourceHealth} through {@link #v1()}: one implementation, so both versions always say the
 * same.
 *
 * <p>Every device the supplier names is reported with its health state (healthy, unhealthy with the
 * reason, or unknown while health is not watched): the first message goes out as soon as a stream
 * opens, the next whenever a device or its state changes, and the same list again after the resend
 * interval so that the kubelet's per-device health timeout (30 s by default) never expires for a
 * device that is still there. Each message is the complete list, as the protocol requires. Streams
 * end when the kubelet cancels or when the service is closed.
 *
 * <p>Thread-safety: all writes to streams happen on one scheduler thread, because a gRPC stream
 * observer must not be called concurrently; stream registration and cancellation may come from any
 * thread. The supplier is called on the scheduler thread only.
 */
public final class DeviceHealthService extends DRAResourceHealthGrpc.DRAResourceHealthImplBase
    implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceHealthService.class);

  /** How often the supplier is asked whether the device set changed. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

  /** Well inside the kubelet's default 30 s health timeout, even if a send is delayed. */
  public static final Duration DEFAULT_RESEND_INTERVAL = Duration.ofSeconds(10);

  private final Supplier<? extends Collection<HealthReport>> devices;
  private final Duration resendInterval;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final ScheduledFuture<?> polling;
  private final Set<Stream<?>> watchers = ConcurrentHashMap.newKeySet();
  private final HealthStreamV1 v1 = new HealthStreamV1(this);

  /** A service reporting every device healthy, with the default intervals and the system clock. */
  public DeviceHealthService(Supplier<? extends Collection<DeviceIdentity>> devices) {
    this(devices, DEFAULT_POLL_INTERVAL, DEFAULT_RESEND_INTERVAL, Clock.systemUTC());
  }

  /**
   * A service reporting every device healthy.
   *
   * @param devices the devices to report; called on every poll, must be cheap
   * @param pollInterval how often to look for a changed device set
   * @param resendInterval after how long an unchanged list is sent again
   * @param clock source of {@code last_updated_time}
   */
  public DeviceHealthService(
      Supplier<? extends Collection<DeviceIdentity>> devices,
      Duration pollInterval,
      Duration resendInterval,
      Clock clock) {
    this(
        pollInterval,
        resendInterval,
        clock,
        () -> devices.get().stream().map(HealthReport::healthy).toList());
  }

  /**
   * A service reporting each device's own health state, with the default intervals.
   *
   * @param reports the devices and their states; called on every poll, must be cheap
   */
  public static DeviceHealthService reporting(
      Supplier<? extends Collection<HealthReport>> reports) {
    return new DeviceHealthService(
        DEFAULT_POLL_INTERVAL, DEFAULT_RESEND_INTERVAL, Clock.systemUTC(), reports);
  }

  /** A service reporting each device's own health state. */
  public static DeviceHealthService reporting(
      Supplier<? extends Collection<HealthReport>> reports,
      Duration pollInterval,
      Duration resendInterval,
      Clock clock) {
    return new DeviceHealthService(pollInterval, resendInterval, clock, reports);
  }

  // Parameters in another order than the public constructor's, whose supplier erases the same.
  private DeviceHealthService(
      Duration pollInterval,
      Duration resendInterval,
      Clock clock,
      Supplier<? extends Collection<HealthReport>> devices) {
    this.devices = Objects.requireNonNull(devices, "devices");
    this.resendInterval = requirePositive("resendInterval", resendInterval);
    this.clock = Objects.requireNonNull(clock, "clock");
    requirePositive("pollInterval", pollInterval);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "device-health-stream");
              thread.setDaemon(true);
              return thread;
            });
    this.polling =
        scheduler.scheduleWithFixedDelay(
            this::publish, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The same streams as {@code v1.DRAResourceHealth}, to serve next to this one. */
  public io.grpc.BindableService v1() {
    return v1;
  }

  /** Sends the current list to every open stream now instead of at the next poll. */
  public void devicesChanged() {
    try {
      scheduler.execute(this::publish);
    } catch (RejectedExecutionException e) {
      // Closed: there are no streams left to tell.
    }
  }

  /** Number of streams currently open. */
  public int openStreams() {
    return watchers.size();
  }

  @Override
  public void nodeWatchResources(
      NodeWatchResourcesRequest request,
      StreamObserver<NodeWatchResourcesResponse> responseObserver) {
    var call = (ServerCallStreamObserver<NodeWatchResourcesResponse>) responseObserver;
    open(
        new Stream<>(call) {
          @Override
          NodeWatchResourcesResponse message(List<HealthReport> reports, Instant now) {
            return v1alpha1Message(reports, now);
          }
        });
  }

  /** The complete list as a v1alpha1 message; v1 has the same fields and numbers. */
  static NodeWatchResourcesResponse v1alpha1Message(List<HealthReport> reports, Instant now) {
    NodeWatchResourcesResponse.Builder response = NodeWatchResourcesResponse.newBuilder();
    for (HealthReport report : reports) {
      response.addDevices(
          DeviceHealth.newBuilder()
              .setDevice(
                  DeviceIdentifier.newBuilder()
                      .setPoolName(report.device().pool())
                      .setDeviceName(report.device().device()))
              .setHealth(status(report))
              .setLastUpdatedTime(now.getEpochSecond())
              .setMessage(report.boundedMessage()));
    }
    return response.build();
  }

  private static HealthStatus status(HealthReport report) {
    return switch (report.state().status()) {
      case HEALTHY -> HealthStatus.HEALTHY;
      case UNHEALTHY -> HealthStatus.UNHEALTHY;
      case UNKNOWN -> HealthStatus.UNKNOWN;
    };
  }

  /** Starts serving one stream of either protocol version. */
  void open(Stream<?> watcher) {
    // Must be set before the gRPC method returns; it also stops gRPC from throwing on a late
    // onNext.
    watcher.call.setOnCancelHandler(() -> watchers.remove(watcher));
    watchers.add(watcher);
    try {
      scheduler.execute(
          () -> {
            // A poll may have served this stream already.
            if (watcher.lastSent == null) {
              currentDevices().ifPresent(list -> send(watcher, list));
            }
          });
    } catch (RejectedExecutionException e) {
      watchers.remove(watcher);
      watcher.call.onError(
          Status.UNAVAILABLE.withDescription("plugin is shutting down").asException());
    }
  }

  /** Ends every open stream and stops polling. */
  @Override
  public void close() {
    polling.cancel(false);
    try {
      scheduler.execute(
          () -> {
            for (Stream<?> watcher : watchers) {
              try {
                watcher.call.onCompleted();
              } catch (RuntimeException e) {
                LOG.debug("Health stream already gone", e);
              }
            }
            watchers.clear();
          });
    } catch (RejectedExecutionException e) {
      return;
    }
    shutdown(scheduler);
  }

  // Runs periodically: an escaping exception would silently cancel all further polls.
  private void publish() {
    try {
      publishToAll();
    } catch (RuntimeException e) {
      LOG.error("Health stream update failed; trying again at the next poll", e);
    }
  }

  private void publishToAll() {
    Optional<List<HealthReport>> current = currentDevices();
    if (current.isEmpty()) {
      return;
    }
    Instant now = clock.instant();
    for (Stream<?> watcher : watchers) {
      if (!current.get().equals(watcher.lastSent)
          || watcher.lastSentAt.plus(resendInterval).compareTo(now) <= 0) {
        send(watcher, current.get());
      }
    }
  }

  private Optional<List<HealthReport>> currentDevices() {
    try {
      return Optional.of(
          devices.get().stream().sorted(Comparator.comparing(HealthReport::device)).toList());
    } catch (RuntimeException e) {
      // Keep the streams and the last list the kubelet has; the next poll tries again.
      LOG.warn("Could not list devices for the health stream; retrying at the next poll", e);
      return Optional.empty();
    }
  }

  private void send(Stream<?> watcher, List<HealthReport> list) {
    if (watcher.call.isCancelled()) {
      watchers.remove(watcher);
      return;
    }
    Instant now = clock.instant();
    try {
      watcher.send(list, now);
      watcher.lastSent = list;
      watcher.lastSentAt = now;
    } catch (RuntimeException e) {
      watchers.remove(watcher);
      LOG.debug("Dropped a health stream that failed to accept a message", e);
    }
  }

  private static void shutdown(ExecutorService executor) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static Duration requirePositive(String name, Duration duration) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + duration);
    }
    return duration;
  }

  /**
   * One open stream of either version; its fields other than {@code call} are used on the scheduler
   * thread only.
   */
  abstract static class Stream<M> {
    final ServerCallStreamObserver<M> call;
    List<HealthReport> lastSent;
    Instant lastSentAt = Instant.MIN;

    Stream(ServerCallStreamObserver<M> call) {
      this.call = call;
    }

    /** The version's message for the complete list. */
    abstract M message(List<HealthReport> reports, Instant now);

    final void send(List<HealthReport> reports, Instant now) {
      call.onNext(message(reports, now));
    }
  }
}
