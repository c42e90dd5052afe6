package dev.gpudra.controller.prebound;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link PreboundAllocator}: a pass as soon as a claim of a pre-bound pod appears or
 * changes (so a new pod waits for one pass, not for a period), and as soon as any claim's
 * allocation is written (kube-scheduler's allocation of a device we gave out too is what reveals a
 * lost race, and it must be seen before the kubelet prepares ours); a pass when a write is due for
 * confirmation; and a periodic pass that picks up what no event announces (a GPU freed by a deleted
 * claim, a node that came back). Only while this replica leads; passes never overlap. Waiting pods
 * get a {@link WaitingPodEvents} Event.
 */
public final class PreboundController implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PreboundController.class);

  private final PreboundView view;
  private final PreboundAllocator allocator;
  private final WaitingPodEvents events;
  private final PreboundMetrics metrics;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private final AtomicBoolean leading = new AtomicBoolean();

  /** Set while a pass is queued, so that a burst of claim events costs one pass. */
  private final AtomicBoolean queued = new AtomicBoolean();

  public PreboundController(
      PreboundView view,
      PreboundAllocator allocator,
      WaitingPodEvents events,
      PreboundMetrics metrics,
      Clock clock) {
    this.view = Objects.requireNonNull(view, "view");
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.events = Objects.requireNonNull(events, "events");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "prebound-allocator");
              t.setDaemon(true);
              return t;
            });
  }

  /** Registers for claim changes and starts the periodic pass. */
  public void start(Duration period) {
    view.onClaimChange(this::claimChanged);
    var unused =
        executor.scheduleWithFixedDelay(
            this::pass, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether this replica leads; a new leader runs a pass at once. */
  public void leading(boolean leads) {
    leading.set(leads);
    if (leads) {
      kick();
    } else {
      metrics.clear();
    }
  }

  private void claimChanged(ResourceClaim claim) {
    if (PreboundClaims.isPrebound(claim) || PreboundClaims.allocated(claim)) {
      kick();
    }
  }

  /** Queues a pass unless one is queued already. */
  public void kick() {
    if (queued.compareAndSet(false, true)) {
      executor.execute(this::pass);
    }
  }

  private void pass() {
    queued.set(false);
    if (!leading.get()) {
      return;
    }
    try {
      PreboundAllocator.Pass pass = allocator.runOnce();
      pass.confirmIn()
          .ifPresent(
              d -> {
                // At least a short pause: a write held back by a clash is confirmable "now".
                var unused =
                    executor.schedule(
                        this::kick, Math.max(100, d.toMillis() + 1), TimeUnit.MILLISECONDS);
              });
      Set<String> waitingPods = new HashSet<>();
      List<PreboundMetrics.Wait> waits = new ArrayList<>();
      Instant now = clock.instant();
      var pending = PreboundClaims.pending(view.claims(), view::pod);
      for (PreboundClaims.Pending p : pending) {
        String key =
            p.claim().getMetadata().getNamespace() + "/" + p.claim().getMetadata().getName();
        String reason = pass.waiting().get(key);
        if (reason != null) {
          waitingPods.add(p.pod().uid());
          waits.add(new PreboundMetrics.Wait(pass.reasons().get(key), age(p, now)));
          events.waiting(p.pod(), key, reason, now);
        }
      }
      events.retainOnly(waitingPods);
      metrics.pass(pass.allocated(), pass.released());
      metrics.waiting(waits);
    } catch (RuntimeException e) {
      LOG.warn("Pre-bound allocation pass failed; the next pass retries", e);
    }
  }

  /** How long the claim has existed: kcm creates it as soon as the pod is created. */
  private static Duration age(PreboundClaims.Pending p, Instant now) {
    String created = p.claim().getMetadata().getCreationTimestamp();
    if (created == null) {
      return Duration.ZERO;
    }
    Duration age = Duration.between(Instant.parse(created), now);
    return age.isNegative() ? Duration.ZERO : age;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
