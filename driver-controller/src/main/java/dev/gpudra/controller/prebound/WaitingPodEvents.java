package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a pre-bound pod why its GPUs are not allocated yet: a Warning Event with reason {@value
 * #REASON} on the pod (what {@code kubectl describe pod} and Batch's console show), written when
 * the reason changes, never once per pass. The same reason the pending-claim Events use, so one
 * query finds both.
 *
 * <p>Thread-safe.
 */
public final class WaitingPodEvents {

  /** The Event reason. */
  public static final String REASON = "ClaimPending";

  private final KubernetesClient client;

  /** Last message written per pod UID. */
  private final Map<String, String> written = new ConcurrentHashMap<>();

  public WaitingPodEvents(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Records that {@code pod} waits because of {@code reason}, unless it was the last one said. */
  public void waiting(SlimPod pod, String claim, String reason, Instant now) {
    String message = "GPU claim " + claim + " of this pre-bound pod is not allocated: " + reason;
    if (message.length() > 1024) {
      message = message.substring(0, 1021) + "...";
    }
    if (message.equals(written.put(pod.uid(), message))) {
      return;
    }
    String name =
        pod.name()
            + ".gpudra-"
            + Integer.toHexString(message.hashCode())
            + "-"
            + now.toEpochMilli();
    try {
      client
          .v1()
          .events()
          .inNamespace(pod.namespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(pod.namespace())
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion("v1")
                  .withKind("Pod")
                  .withNamespace(pod.namespace())
                  .withName(pod.name())
                  .withUid(pod.uid())
                  .endInvolvedObject()
                  .withType("Warning")
                  .withReason(REASON)
                  .withMessage(message)
                  .withCount(1)
                  .withFirstTimestamp(now.toString())
                  .withLastTimestamp(now.toString())
                  .withNewSource()
                  .withComponent("gpudra-controller")
                  .endSource()
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      written.remove(pod.uid());
      if (e.getCode() != 409 && e.getCode() != 404) {
        throw e;
      }
    }
  }

  /** Forgets pods that no longer wait, so a later wait is reported again. */
  public void retainOnly(Set<String> waitingPodUids) {
    written.keySet().retainAll(waitingPodUids);
  }
}
