package dev.gpudra.controller.explain;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.controller.view.SlimPod;
import dev.gpudra.core.claims.ClaimClassifier;
import dev.gpudra.core.claims.ClaimState;
import dev.gpudra.core.explain.Explanation;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class PendingClaimReporter {

  /** Reason of the Events. */
  public static final String REASON = "ClaimPending";

  private static final Logger LOG = LoggerFactory.getLogger(PendingClaimReporter.class);
  private static final int MAX_MESSAGE = 1024;

  private final KubernetesClient client;
  private final ClusterView view;
  private final ClaimExplanations explanations;
  private final Supplier<ClaimClassifier> classifier;
  private final Clock clock;
  private final Duration pendingAfter;
  private final Duration repeat;
  private final int maxEventsPerPass;

  /** Last published summary and time per claim UID; entries leave when claims stop pending. */
  private final Map<String, Published> published = new ConcurrentHashMap<>();

  private record Published(String summary, Instant at) {}

  public PendingClaimReporter(
      KubernetesClient client,
      ClusterView view,
      ClaimExplanations explanations,
      Supplier<ClaimClassifier> classifier,
      Clock clock,
      Duration pendingAfter,
      Duration repeat,
      int maxEventsPerPass) {
    this.client = Objects.requireNonNull(client, "client");
    this.view = Objects.requireNonNull(view, "view");
    this.explanations = Objects.requireNonNull(explanations, "explanations");
    this.classifier = Objects.requireNonNull(classifier, "classifier");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.pendingAfter = Objects.requireNonNull(pendingAfter, "pendingAfter");
    this.repeat = Objects.requireNonNull(repeat, "repeat");
    this.maxEventsPerPass = maxEventsPerPass;
  }

  /** One pass over the pending claims; returns the number of Events written. */
  public int runOnce() {
    ClaimClassifier ours = classifier.get();
    Instant now = clock.instant();
    List<ResourceClaim> due = new ArrayList<>();
    List<String> stillPending = new ArrayList<>();
    for (ResourceClaim claim : view.claims()) {
      if (ClaimState.of(claim) != ClaimState.PENDING || !ours.isOurs(claim)) {
        continue;
      }
      stillPending.add(claim.getMetadata().getUid());
      Instant created = created(claim);
      if (Duration.between(created, now).compareTo(pendingAfter) >= 0) {
        due.add(claim);
      }
    }
    published.keySet().retainAll(stillPending);
    due.sort((a, b) -> created(a).compareTo(created(b)));

    int written = 0;
    PendingClaimExplainer.Snapshot cluster = due.isEmpty() ? null : explanations.snapshot();
    for (ResourceClaim claim : due) {
      if (written >= maxEventsPerPass) {
        LOG.info("Event limit of {} reached; the rest waits for the next pass", maxEventsPerPass);
        break;
      }
      Explanation explanation = cluster.explain(claim);
      String summary = truncate(explanation.summary());
      Published last = published.get(claim.getMetadata().getUid());
      if (last != null
          && last.summary().equals(summary)
          && Duration.between(last.at(), now).compareTo(repeat) < 0) {
        continue;
      }
      List<ObjectReference> targets = new ArrayList<>();
      targets.add(reference(claim));
      pods(claim).forEach(pod -> targets.add(reference(pod)));
      for (ObjectReference target : targets) {
        record(target, summary, now);
        written++;
      }
      published.put(claim.getMetadata().getUid(), new Published(summary, now));
    }
    return written;
  }

  /** Pods that need the claim: its owner (template claims) and pods naming it. */
  private List<SlimPod> pods(ResourceClaim claim) {
    String namespace = claim.getMetadata().getNamespace();
    String name = claim.getMetadata().getName();
    List<SlimPod> pods = new ArrayList<>();
    for (OwnerReference owner : claim.getMetadata().getOwnerReferences()) {
      if ("Pod".equals(owner.getKind())) {
        view.pod(namespace, owner.getName()).ifPresent(pods::add);
      }
    }
    for (SlimPod pod : view.pods(namespace)) {
      if (pod.uses(name) && !pods.contains(pod)) {
        pods.add(pod);
      }
    }
    return pods;
  }

  private void record(ObjectReference target, String message, Instant now) {
    String eventName =
        target.getName() + "." + sha256(target.getUid() + "\n" + message).substring(0, 16);
    String timestamp = now.toString();
    var events = client.v1().events().inNamespace(target.getNamespace());
    Event existing = events.withName(eventName).get();
    if (existing != null) {
      events
          .withName(eventName)
          .edit(
              e ->
                  new EventBuilder(e)
                      .withCount(e.getCount() == null ? 2 : e.getCount() + 1)
                      .withLastTimestamp(timestamp)
                      .build());
      return;
    }
    events
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(eventName)
                .withNamespace(target.getNamespace())
                .endMetadata()
                .withInvolvedObject(target)
                .withType("Warning")
                .withReason(REASON)
                .withMessage(message)
                .withCount(1)
                .withFirstTimestamp(timestamp)
                .withLastTimestamp(timestamp)
                .withNewSource()
                .withComponent("gpudra-controller")
                .endSource()
                .build())
        .create();
  }

  private static ObjectReference reference(ResourceClaim claim) {
    return new ObjectReferenceBuilder()
        .withApiVersion("resource.k8s.io/v1")
        .withKind("ResourceClaim")
        .withNamespace(claim.getMetadata().getNamespace())
        .withName(claim.getMetadata().getName())
        .withUid(claim.getMetadata().getUid())
        .build();
  }

  private static ObjectReference reference(SlimPod pod) {
    return new ObjectReferenceBuilder()
        .withApiVersion("v1")
        .withKind("Pod")
        .withNamespace(pod.namespace())
        .withName(pod.name())
        .withUid(pod.uid())
        .build();
  }

  private static Instant created(ResourceClaim claim) {
    String created = claim.getMetadata().getCreationTimestamp();
    return created == null ? Instant.EPOCH : Instant.parse(created);
  }

  private static String truncate(String message) {
    return message.length() <= MAX_MESSAGE
        ? message
        : message.substring(0, MAX_MESSAGE - 3) + "...";
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
