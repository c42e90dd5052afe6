package dev.gpudra.controller.explain;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.claims.ClaimClassifier;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes why a claim waits as a Warning Event on the claim and on the pods that need it, for
 * claims of this driver pending longer than a threshold.
 *
 * <p>Deduplicated: an explanation is published again only when it changes or when {@code repeat}
 * has passed since it was last published. Rate-limited: at most {@code maxEventsPerPass} Events per
 * pass, oldest claims first, so a cluster with thousands of pending claims cannot flood the API
 * server. Only the leader runs passes; see {@code LeaderElection}.
 *
 * <p>A pass composes four pieces: {@link PendingClaimPolicy} (which claims, when, how many), {@link
 * ClaimExplanations} (why, from the snapshot {@code /explain} shares), {@link ClaimPods} (who else
 * waits) and {@link ClaimEventWriter} (the Events).
 */
public final class PendingClaimReporter {

  /** Reason of the Events. */
  public static final String REASON = "ClaimPending";

  private static final Logger LOG = LoggerFactory.getLogger(PendingClaimReporter.class);

  private final ClusterView view;
  private final ClaimExplanations explanations;
  private final Supplier<ClaimClassifier> classifier;
  private final Clock clock;
  private final PendingClaimPolicy policy;
  private final ClaimPods pods;
  private final ClaimEventWriter events;

  public PendingClaimReporter(
      KubernetesClient client,
      ClusterView view,
      ClaimExplanations explanations,
      Supplier<ClaimClassifier> classifier,
      Clock clock,
      Duration pendingAfter,
      Duration repeat,
      int maxEventsPerPass) {
    this.view = Objects.requireNonNull(view, "view");
    this.explanations = Objects.requireNonNull(explanations, "explanations");
    this.classifier = Objects.requireNonNull(classifier, "classifier");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.policy =
        new PendingClaimPolicy(
            Objects.requireNonNull(pendingAfter, "pendingAfter"),
            Objects.requireNonNull(repeat, "repeat"),
            maxEventsPerPass);
    this.pods = new ClaimPods(view);
    this.events = new ClaimEventWriter(client, REASON);
  }

  /** One pass over the pending claims; returns the number of Events written. */
  public int runOnce() {
    Instant now = clock.instant();
    List<ResourceClaim> due = policy.due(view.claims(), classifier.get(), now);
    if (due.isEmpty()) {
      return 0;
    }
    int written = 0;
    ExplainSnapshot cluster = explanations.snapshot();
    for (ResourceClaim claim : due) {
      if (!policy.mayWrite(written)) {
        LOG.info(
            "Event limit of {} reached; the rest waits for the next pass",
            policy.maxEventsPerPass());
        break;
      }
      String uid = claim.getMetadata().getUid();
      String message = PendingClaimPolicy.message(cluster.explain(claim).summary());
      if (!policy.shouldPublish(uid, message, now)) {
        continue;
      }
      List<ObjectReference> targets = new ArrayList<>();
      targets.add(ClaimEventWriter.reference(claim));
      pods.of(claim).forEach(pod -> targets.add(ClaimEventWriter.reference(pod)));
      for (ObjectReference target : targets) {
        events.write(target, message, now);
        written++;
      }
      policy.published(uid, message, now);
    }
    return written;
  }
}
