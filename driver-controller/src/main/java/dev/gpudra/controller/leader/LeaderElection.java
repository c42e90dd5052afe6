package dev.gpudra.controller.leader;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a Lease, so that of several controller replicas exactly one writes (Events,
 * allocations) while all of them serve metrics. Losing the lease stops the leader's work; the
 * elector then keeps trying to win it back.
 */
public final class LeaderElection implements AutoCloseable {

  /** Name of the Lease. */
  public static final String LEASE_NAME = "gpudra-controller";

  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

  private final CompletableFuture<?> running;

  private LeaderElection(CompletableFuture<?> running) {
    this.running = running;
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
    return new LeaderElection(client.leaderElector().withConfig(config).build().start());
  }

  /** Gives the lease up and stops competing. */
  @Override
  public void close() {
    running.cancel(true);
  }
}
