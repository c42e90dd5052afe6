package dev.gpudra.controller.explain;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Writes the pending-claim Warning Events: the only class of the controller that writes to the API
 * server.
 *
 * <p>Idempotent per message: an Event's name is its object's name plus a hash of the object's UID
 * and the message, so the same message on the same object bumps the existing Event's count instead
 * of adding one. Thread-safe (the client is).
 */
final class ClaimEventWriter {

  private final KubernetesClient client;
  private final String reason;

  ClaimEventWriter(KubernetesClient client, String reason) {
    this.client = Objects.requireNonNull(client, "client");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Records {@code message} on {@code target} at {@code now}. */
  void write(ObjectReference target, String message, Instant now) {
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
                .withReason(reason)
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

  /** The Event target for a claim. */
  static ObjectReference reference(ResourceClaim claim) {
    return new ObjectReferenceBuilder()
        .withApiVersion("resource.k8s.io/v1")
        .withKind("ResourceClaim")
        .withNamespace(claim.getMetadata().getNamespace())
        .withName(claim.getMetadata().getName())
        .withUid(claim.getMetadata().getUid())
        .build();
  }

  /** The Event target for a pod. */
  static ObjectReference reference(SlimPod pod) {
    return new ObjectReferenceBuilder()
        .withApiVersion("v1")
        .withKind("Pod")
        .withNamespace(pod.namespace())
        .withName(pod.name())
        .withUid(pod.uid())
        .build();
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
