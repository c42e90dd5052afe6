package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.time.Instant;
import java.util.Optional;

/**
 * The pre-bound allocator's writes to the API server ({@link AllocationWriter}); an interface so
 * that a test can order them against kube-scheduler's writes and the informers' lag.
 */
public interface ClaimWrites {

  /**
   * Writes {@code allocation} for {@code claim} and reserves it for {@code pod}, conditional on the
   * claim's resource version.
   *
   * @return the claim as written, or empty when it changed since it was read
   */
  Optional<ResourceClaim> allocate(ResourceClaim claim, AllocationResult allocation, SlimPod pod);

  /**
   * Takes back an allocation, conditional on the claim's resource version.
   *
   * @return whether the claim was released
   */
  boolean release(ResourceClaim claim);

  /** Makes the pod's kubelet sync it now. */
  void nudge(SlimPod pod, Instant now);
}
