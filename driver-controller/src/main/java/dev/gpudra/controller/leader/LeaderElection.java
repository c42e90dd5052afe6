package dev.gpudra.controller.leader;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a Lease, so that of several controller replicas exactly one writes (Events,
 * allocations) while all of them serve metrics. Losing the lease stops the leader's work; the
 * replica then competes for it again. Thread-safe.
 */
public final class LeaderElection implements AutoCloseable {

  /** Name of the Lease. */
  public static final String LEASE_NAME = "gpudra-controller";

  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

  private final Supplier<CompletableFuture<?>> elector;
  private final Duration retryPeriod;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile CompletableFuture<?> running = CompletableFuture.completedFuture(null);

  private LeaderElection(Supplier<CompletableFuture<?>> elector, Duration retryPeriod) {
    this.elector = elector;
    this.retryPeriod = retryPeriod;
  }

  /**
   * Starts competing for the lease.
   *
   * @param identity this replica's name (its pod name)
   * @param onStartLeading called when this replica becomes leader
   * @param onStopLeading called when it stops being leader
   */
  public static LeaderElection start(
      KubernetesClient client,
      String namespace,
      String identity,
      Duration leaseDuration,
      Runnable onStartLeading,
      Runnable onStopLeading) {
    var config =
        new LeaderElectionConfigBuilder()
            .withName(LEASE_NAME)
            .withLock(new LeaseLock(namespace, LEASE_NAME, identity))
            .withLeaseDuration(leaseDuration)
            .withRenewDeadline(leaseDuration.multipliedBy(2).dividedBy(3))
            .withRetryPeriod(leaseDuration.dividedBy(5))
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(
                new LeaderCallbacks(
                    () -> {
                      LOG.info("{} leads (lease {}/{})", identity, namespace, LEASE_NAME);
                      onStartLeading.run();
                    },
                    () -> {
                      LOG.info("{} stopped leading", identity);
                      onStopLeading.run();
                    },
                    leader -> LOG.info("Leader is now {}", leader)))
            .build();
    LeaderElection election =
        new LeaderElection(
            () -> client.leaderElector().withConfig(config).build().start(),
            config.getRetryPeriod());
    election.compete();
    return election;
  }

  /**
   * Runs one fabric8 elector. It ends when this replica loses the lease (for example when the API
   * server was away longer than the renew deadline) and does not compete again by itself, so a new
   * one starts after a retry period; without that a replica that lost the lease during an outage
   * would never lead again, and no replica would write Events.
   */
  private void compete() {
    if (closed.get()) {
      return;
    }
    CompletableFuture<?> current = elector.get();
    running = current;
    var unused =
        current.whenComplete(
            (result, failure) -> {
              if (!closed.get()) {
                LOG.info("Competing for lease {} again", LEASE_NAME);
                CompletableFuture.delayedExecutor(retryPeriod.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(this::compete);
              }
            });
  }

  /** Gives the lease up and stops competing. */
  @Override
  public void close() {
    closed.set(true);
    running.cancel(true);
  }
}
