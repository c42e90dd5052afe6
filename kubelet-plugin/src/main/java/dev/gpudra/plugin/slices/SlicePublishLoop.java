package dev.gpudra.plugin.slices;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node's pool published: runs {@link ResourceSlicePublisher} on one thread whenever the
 * desired slices change, when one of our slices is deleted (the kubelet deletes a plugin's slices
 * when it unregisters, and admins make mistakes), and every resync period; retries failed passes
 * with exponential backoff. Triggers that arrive while a pass is pending are coalesced.
 */
public final class SlicePublishLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SlicePublishLoop.class);

  private final ResourceSlicePublisher publisher;
  private final KubernetesClient client;
  private final String nodeName;
  private final Duration resync;
  private final Backoff backoff;
  private final ScheduledExecutorService executor;
  private final AtomicReference<List<ResourceSliceSpec>> desired = new AtomicReference<>();
  private ScheduledFuture<?> scheduled; // guarded by this
  private SharedIndexInformer<ResourceSlice> informer;
  private final AtomicLong failedPasses = new AtomicLong();
  // Set by the first pass that succeeded and never cleared: the pool exists from then on, and a
  // later failed pass leaves the slices as they were.
  private final AtomicBoolean published = new AtomicBoolean();

  public SlicePublishLoop(
      ResourceSlicePublisher publisher,
      KubernetesClient client,
      String nodeName,
      Duration resync,
      Backoff backoff) {
    this.publisher = Objects.requireNonNull(publisher, "publisher");
    this.client = Objects.requireNonNull(client, "client");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.resync = Objects.requireNonNull(resync, "resync");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "slice-publisher");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Starts watching our slices; publishing starts with the first {@link #publish}. */
  public synchronized void start() {
    informer =
        client
            .dynamicResourceAllocation()
            .v1()
            .resourcesSlices()
            .withLabel(ResourceSlicePublisher.NODE_LABEL, nodeName)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ResourceSlice slice) {}

                  @Override
                  public void onUpdate(ResourceSlice before, ResourceSlice after) {}

                  @Override
                  public void onDelete(ResourceSlice slice, boolean finalStateUnknown) {
                    LOG.info("Slice {} was deleted; re-checking the pool", name(slice));
                    trigger(Duration.ZERO);
                  }
                });
  }

  /** Sets the slices the pool should have and publishes them soon. */
  public void publish(List<ResourceSliceSpec> slices) {
    desired.set(List.copyOf(slices));
    trigger(Duration.ZERO);
  }

  private synchronized void trigger(Duration delay) {
    if (executor.isShutdown() || desired.get() == null) {
      return;
    }
    if (scheduled != null && !scheduled.isDone()) {
      if (scheduled.getDelay(TimeUnit.NANOSECONDS) <= delay.toNanos()) {
        return; // an earlier pass is coming anyway
      }
      scheduled.cancel(false);
    }
    scheduled = executor.schedule(this::runOnce, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void runOnce() {
    synchronized (this) {
      scheduled = null; // this pass is running: the next trigger must schedule a new one
    }
    try {
      publisher.publish(desired.get());
      published.set(true);
      backoff.reset();
      trigger(resync);
    } catch (KubernetesClientException e) {
      failedPasses.incrementAndGet();
      Duration delay = backoff.nextDelay();
      LOG.warn(
          "Publishing ResourceSlices failed (HTTP {}): {}; retrying in {}",
          e.getCode(),
          e.getMessage(),
          delay);
      trigger(delay);
    } catch (RuntimeException e) {
      failedPasses.incrementAndGet();
      Duration delay = backoff.nextDelay();
      LOG.error("Publishing ResourceSlices failed unexpectedly; retrying in {}", delay, e);
      trigger(delay);
    }
  }

  /**
   * Whether a pass has succeeded since start: the node's slices are on the API server, so the
   * scheduler can allocate its devices (for readiness).
   */
  public boolean hasPublished() {
    return published.get();
  }

  /** Publishing passes that failed and were retried (for health and metrics). */
  public long failedPasses() {
    return failedPasses.get();
  }

  private static String name(ResourceSlice slice) {
    return slice.getMetadata() == null ? "?" : slice.getMetadata().getName();
  }

  /** Stops watching and publishing; slices stay as they are. */
  @Override
  public synchronized void close() {
    if (informer != null) {
      informer.close();
    }
    executor.shutdownNow();
  }
}
