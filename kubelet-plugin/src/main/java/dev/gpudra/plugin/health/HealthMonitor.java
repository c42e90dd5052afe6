package dev.gpudra.plugin.health;

import dev.gpudra.core.health.HealthCondition;
import dev.gpudra.core.health.HealthTarget;
import dev.gpudra.core.health.XidCatalog;
import dev.gpudra.core.health.XidClass;
import dev.gpudra.core.slice.DeviceNames;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the node's GPUs and keeps their {@link HealthLedger}: one thread reads the event watch
 * (NVML event sets are not thread-safe, so the watch never leaves it), a scheduler probes every GPU
 * for what has no event (a GPU off the bus, one back after a reset) and ends quiet conditions.
 *
 * <p>Changes are coalesced: {@code onChange} runs on the scheduler at most once per {@link
 * #COALESCE} however many conditions changed meanwhile, so an XID flood costs one republish.
 * Nothing here blocks the plugin: when no event can be watched, every GPU gets the informational
 * {@code unmonitored} condition and the plugin serves on.
 *
 * <p>Thread-safe. {@link #close()} stops both threads and releases the watch.
 */
public final class HealthMonitor implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

  /** Longest a change waits to be published together with later ones. */
  public static final Duration COALESCE = Duration.ofMillis(200);

  private static final Duration WAIT = Duration.ofSeconds(1);

  private final HealthConfig config;
  private final GpuHealthProbe probe;
  private final List<GpuHealthProbe.MonitoredGpu> gpus;
  private final HealthMetrics metrics;
  private final Clock clock;
  private final Runnable onChange;
  private final HealthLedger ledger;
  private final ScheduledExecutorService scheduler;
  private final AtomicBoolean notifyPending = new AtomicBoolean();
  private volatile boolean running = true;
  private Thread eventThread; // guarded by this

  /**
   * @param onChange told, on the monitor's scheduler thread, that {@link #conditions()} changed
   */
  public HealthMonitor(
      HealthConfig config,
      GpuHealthProbe probe,
      List<GpuHealthProbe.MonitoredGpu> gpus,
      HealthMetrics metrics,
      Clock clock,
      Runnable onChange) {
    this.config = Objects.requireNonNull(config, "config");
    this.probe = Objects.requireNonNull(probe, "probe");
    this.gpus = List.copyOf(gpus);
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.ledger =
        new HealthLedger(
            new XidCatalog(config.ignoredXids()), config.effect(), config.quietPeriod());
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "gpu-health-checks");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Registers for events and starts the threads. The first probe runs before this returns, so the
   * conditions are complete for the first publish.
   */
  public synchronized void start() {
    GpuHealthProbe.Watch watch = null;
    try {
      watch = probe.watch(gpus);
      watch.unregistered().forEach(this::unregistered);
    } catch (GpuHealthProbe.UnavailableException e) {
      LOG.warn("GPU health is not monitored: {}; devices are tainted unmonitored", e.getMessage());
      for (GpuHealthProbe.MonitoredGpu gpu : gpus) {
        ledger.unmonitored(gpu.minor(), e.code(), e.getMessage(), clock.instant());
      }
    }
    checkAll();
    if (watch != null) {
      GpuHealthProbe.Watch events = watch;
      eventThread = new Thread(() -> readEvents(events), "gpu-health-events");
      eventThread.setDaemon(true);
      eventThread.start();
    }
    long interval = config.checkInterval().toMillis();
    // checkSafely catches everything, so the future never holds an exception to look at.
    var unused =
        scheduler.scheduleWithFixedDelay(
            this::checkSafely, interval, interval, TimeUnit.MILLISECONDS);
    LOG.info(
        "GPU health monitor started for {} GPUs ({} conditions at start)",
        gpus.size(),
        ledger.conditions().size());
  }

  /** The active conditions, oldest first. */
  public List<HealthCondition> conditions() {
    return ledger.conditions();
  }

  private void unregistered(int index, String reason) {
    gpus.stream()
        .filter(g -> g.index() == index)
        .forEach(
            g -> {
              LOG.warn("GPU {} is not watched for events: {}", g.minor(), reason);
              changed(ledger.unmonitored(g.minor(), "NotRegistered", reason, clock.instant()));
            });
  }

  private void readEvents(GpuHealthProbe.Watch watch) {
    try (watch) {
      while (running) {
        try {
          watch.next(WAIT).ifPresent(this::handle);
        } catch (RuntimeException e) {
          if (!running) {
            return;
          }
          LOG.warn("Waiting for GPU events failed; probing every GPU and retrying", e);
          scheduleCheck();
          sleep(WAIT);
        }
      }
    }
  }

  private void handle(GpuHealthProbe.Event event) {
    switch (event) {
      case GpuHealthProbe.Xid xid -> handleXid(xid);
      case GpuHealthProbe.OtherFault fault ->
          LOG.warn("GPU {}: {}", minorOf(fault.gpuIndex()).orElse(-1), fault.description());
      case GpuHealthProbe.SomeGpuLost lost -> {
        LOG.warn("NVML reports a GPU lost ({}); probing every GPU", lost.reason());
        scheduleCheck();
      }
    }
  }

  private void handleXid(GpuHealthProbe.Xid event) {
    Optional<GpuHealthProbe.MonitoredGpu> gpu =
        gpus.stream().filter(g -> g.index() == event.gpuIndex()).findFirst();
    if (gpu.isEmpty()) {
      LOG.warn("XID {} on GPU index {}, which is not published", event.xid(), event.gpuIndex());
      return;
    }
    HealthTarget target = new HealthTarget.WholeGpu(gpu.get().minor());
    if (event.gpuInstanceId().isPresent()) {
      Optional<HealthTarget.MigInstance> instance =
          probe.migInstance(gpu.get(), event.gpuInstanceId().getAsInt(), event.computeInstanceId());
      // An instance that is already gone cannot be named: the GPU carries the fault instead.
      target = instance.isPresent() ? instance.get() : target;
    }
    XidClass xidClass = ledger.classify(event.xid());
    metrics.xid(DeviceNames.gpu(gpu.get().minor()), event.xid(), xidClass);
    boolean changed = ledger.xid(target, event.xid(), clock.instant());
    if (changed) {
      LOG.warn("XID {} ({}) on {}", event.xid(), xidClass.label(), target);
    }
    changed(changed);
  }

  private void scheduleCheck() {
    try {
      scheduler.execute(this::checkSafely);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closing.
    }
  }

  private void checkSafely() {
    try {
      checkAll();
    } catch (RuntimeException e) {
      LOG.error("GPU health check failed; trying again at the next interval", e);
    }
  }

  private void checkAll() {
    boolean changed = false;
    for (GpuHealthProbe.MonitoredGpu gpu : gpus) {
      Optional<String> lost = probe.probe(gpu);
      if (lost.isPresent()) {
        if (ledger.lost(gpu.minor(), lost.get(), clock.instant())) {
          LOG.warn("GPU {} is lost: {}", gpu.minor(), lost.get());
          changed = true;
        }
      } else if (ledger.responds(gpu.minor())) {
        LOG.info("GPU {} answers again after a reset; its conditions end", gpu.minor());
        changed = true;
      }
    }
    changed |= ledger.expire(clock.instant());
    changed(changed);
  }

  // Coalesces: one notification per COALESCE window, however many changes it covers.
  private void changed(boolean changed) {
    if (!changed || !notifyPending.compareAndSet(false, true)) {
      return;
    }
    try {
      // The task catches what onChange throws: the future holds nothing to look at.
      var unused =
          scheduler.schedule(
              () -> {
                notifyPending.set(false);
                try {
                  onChange.run();
                } catch (RuntimeException e) {
                  LOG.error("Publishing a health change failed", e);
                }
              },
              COALESCE.toMillis(),
              TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      notifyPending.set(false);
    }
  }

  private Optional<Integer> minorOf(int index) {
    return gpus.stream().filter(g -> g.index() == index).map(g -> g.minor()).findFirst();
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    scheduler.shutdownNow();
    Thread thread;
    synchronized (this) {
      thread = eventThread;
    }
    if (thread != null) {
      try {
        // The reader leaves within one wait and frees the watch on its own thread.
        thread.join(WAIT.multipliedBy(3).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
