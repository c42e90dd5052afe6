package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimConsumerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pre-bound allocator's writes, each guarded by the resource version the decision was made on,
 * so that a claim changed meanwhile (allocated by someone else, being deleted) is never
 * overwritten: the write fails with a conflict and the next pass decides again.
 *
 * <ol>
 *   <li>the finalizer {@value #FINALIZER}, which makes the resource-claim controller deallocate the
 *       claim once its pod is gone (it only does so for claims that carry it);
 *   <li>one status update that sets {@code allocation} and reserves the claim for the pod, as the
 *       scheduler's does, so the kubelet can prepare it without waiting for the controller
 *       manager's reservation;
 *   <li>an annotation on the pod, a spec-level change that makes the kubelet sync the pod at once
 *       instead of at its next resync (up to 90 s later).
 * </ol>
 *
 * <p>A crash between 1 and 2 leaves an unallocated claim with the finalizer, which the next pass
 * allocates; a crash between 2 and 3 only delays the start to the kubelet's resync. Thread-safe.
 */
public final class AllocationWriter implements ClaimWrites {

  private static final Logger LOG = LoggerFactory.getLogger(AllocationWriter.class);

  /** The finalizer kube-scheduler adds before allocating; the controller manager honours it. */
  public static final String FINALIZER = "resource.kubernetes.io/delete-protection";

  /** Pod annotation the nudge sets: when its claim was allocated. */
  public static final String ALLOCATED_ANNOTATION = "gpu.gpudra.dev/claims-allocated-at";

  private final KubernetesClient client;

  public AllocationWriter(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * Writes {@code allocation} for {@code claim} and reserves it for {@code pod}.
   *
   * @return the claim as written, or empty when it changed since it was read (nothing written
   *     beyond, possibly, the finalizer)
   */
  @Override
  public Optional<ResourceClaim> allocate(
      ResourceClaim claim, AllocationResult allocation, SlimPod pod) {
    var claims =
        client
            .dynamicResourceAllocation()
            .v1()
            .resourceClaims()
            .inNamespace(claim.getMetadata().getNamespace());
    try {
      ResourceClaim current = claim;
      List<String> finalizers =
          current.getMetadata().getFinalizers() == null
              ? List.of()
              : current.getMetadata().getFinalizers();
      if (!finalizers.contains(FINALIZER)) {
        List<String> withOurs = new ArrayList<>(finalizers);
        withOurs.add(FINALIZER);
        current =
            claims
                .resource(
                    new ResourceClaimBuilder(current)
                        .editMetadata()
                        .withFinalizers(withOurs)
                        .endMetadata()
                        .build())
                .update();
      }
      ResourceClaim withStatus =
          new ResourceClaimBuilder(current)
              .editOrNewStatus()
              .withAllocation(allocation)
              .addToReservedFor(
                  new ResourceClaimConsumerReferenceBuilder()
                      .withApiGroup("")
                      .withResource("pods")
                      .withName(pod.name())
                      .withUid(pod.uid())
                      .build())
              .endStatus()
              .build();
      return Optional.of(claims.resource(withStatus).updateStatus());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404 || e.getCode() == 422) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Takes back an allocation this controller wrote that lost a race (the same device went to
   * another claim first), so that the next pass allocates the claim again from what is free.
   *
   * @return whether the claim was released
   */
  @Override
  public boolean release(ResourceClaim claim) {
    try {
      client
          .dynamicResourceAllocation()
          .v1()
          .resourceClaims()
          .inNamespace(claim.getMetadata().getNamespace())
          .resource(
              new ResourceClaimBuilder(claim)
                  .editStatus()
                  .withAllocation(null)
                  .withReservedFor(List.of())
                  .withDevices(List.of())
                  .endStatus()
                  .build())
          .updateStatus();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Makes the pod's kubelet sync it now; a pod that is gone needs nothing. One PATCH, no read: the
   * chart grants {@code patch} on pods and not {@code get}. A nudge that fails is only logged: the
   * kubelet's own resync still starts the pod, up to 90 s later, and the pass goes on.
   */
  @Override
  public void nudge(SlimPod pod, Instant now) {
    // With an object at hand fabric8 sends the patch alone; by name it would read the pod first.
    Pod target =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(pod.namespace())
            .withName(pod.name())
            .endMetadata()
            .build();
    try {
      client
          .pods()
          .inNamespace(pod.namespace())
          .resource(target)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"metadata\":{\"annotations\":{\""
                  + ALLOCATED_ANNOTATION
                  + "\":\""
                  + now
                  + "\"}}}");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        LOG.warn(
            "Could not nudge the kubelet of pre-bound pod {}/{} ({}); it starts the pod at its next"
                + " resync",
            pod.namespace(),
            pod.name(),
            e.getMessage());
      }
    }
  }
}
