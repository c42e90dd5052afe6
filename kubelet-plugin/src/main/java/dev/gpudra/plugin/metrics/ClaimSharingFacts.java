package dev.gpudra.plugin.metrics;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimConsumerReference;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the sharing metrics need of a prepared claim beyond the node's checkpoint: whom it serves
 * and what each of its device shares consumes. Read once from the API server per claim; neither
 * changes while the claim stays allocated (an allocation is immutable).
 *
 * @param workload the workload using the claim
 * @param shares consumed capacity by share ID, for devices allocated to several claims at once
 */
public record ClaimSharingFacts(Workload workload, Map<String, Share> shares) {

  /**
   * One share's consumed capacity.
   *
   * @param memoryBytes the {@code memory} it consumes
   * @param coresPercent the {@code cores} it consumes (percent of the GPU's multiprocessors)
   */
  public record Share(long memoryBytes, int coresPercent) {}

  /** Copies. */
  public ClaimSharingFacts {
    Objects.requireNonNull(workload, "workload");
    shares = Map.copyOf(shares);
  }

  /**
   * The facts of {@code claim}: the consumed capacity of each of {@code driver}'s shares in its
   * allocation, and the workload of the pod with metadata {@code pod} (the first pod it is reserved
   * for, read by the caller), else of that pod's name, else the claim itself.
   */
  public static ClaimSharingFacts of(ResourceClaim claim, String driver, Optional<ObjectMeta> pod) {
    String namespace = claim.getMetadata().getNamespace();
    Workload workload =
        pod.map(Workload::of)
            .or(() -> firstPod(claim).map(name -> new Workload(namespace, "Pod", name)))
            .orElseGet(() -> Workload.unused(namespace, claim.getMetadata().getName()));
    Map<String, Share> shares = new HashMap<>();
    List<DeviceRequestAllocationResult> results =
        claim.getStatus() == null
                || claim.getStatus().getAllocation() == null
                || claim.getStatus().getAllocation().getDevices() == null
                || claim.getStatus().getAllocation().getDevices().getResults() == null
            ? List.of()
            : claim.getStatus().getAllocation().getDevices().getResults();
    for (DeviceRequestAllocationResult result : results) {
      if (!driver.equals(result.getDriver())
          || result.getShareID() == null
          || result.getConsumedCapacity() == null) {
        continue;
      }
      shares.put(
          result.getShareID(),
          new Share(
              amount(result.getConsumedCapacity().get("memory")),
              (int) amount(result.getConsumedCapacity().get("cores"))));
    }
    return new ClaimSharingFacts(workload, shares);
  }

  /** The name of the first pod {@code claim} is reserved for. */
  public static Optional<String> firstPod(ResourceClaim claim) {
    if (claim.getStatus() == null || claim.getStatus().getReservedFor() == null) {
      return Optional.empty();
    }
    return claim.getStatus().getReservedFor().stream()
        .filter(
            r ->
                "pods".equals(r.getResource())
                    && (r.getApiGroup() == null || r.getApiGroup().isEmpty()))
        .map(ResourceClaimConsumerReference::getName)
        .findFirst();
  }

  private static long amount(Quantity quantity) {
    return quantity == null ? 0 : Quantity.getAmountInBytes(quantity).longValue();
  }
}
