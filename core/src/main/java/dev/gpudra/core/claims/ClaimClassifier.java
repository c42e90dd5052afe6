package dev.gpudra.core.claims;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSubRequest;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimConsumerReference;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides which claims belong to this driver and reduces them to {@link ClaimSummary}s. Pure.
 *
 * <p>A claim is ours when a request asks for one of our device classes, or when it was allocated
 * devices of our driver (a class written by an admin can select our devices too).
 */
public final class ClaimClassifier {

  /** The device-class label when requests ask for several classes. */
  public static final String MIXED_CLASSES = "mixed";

  private final String driver;
  private final Set<String> ourClasses;

  /**
   * @param driver our driver name
   * @param ourClasses names of DeviceClasses that select our devices
   */
  public ClaimClassifier(String driver, Set<String> ourClasses) {
    this.driver = driver;
    this.ourClasses = Set.copyOf(ourClasses);
  }

  /** Whether the claim asks for, or holds, devices of this driver. */
  public boolean isOurs(ResourceClaim claim) {
    if (requestedClasses(claim).stream().anyMatch(ourClasses::contains)) {
      return true;
    }
    return allocationResults(claim).stream().anyMatch(r -> driver.equals(r.getDriver()));
  }

  /**
   * Summarises a claim.
   *
   * @param podLabels labels of a pod in the claim's namespace by pod name (empty when unknown)
   */
  public ClaimSummary summarize(
      ResourceClaim claim, Function<String, Optional<Map<String, String>>> podLabels) {
    Set<String> classes = requestedClasses(claim);
    String deviceClass =
        classes.size() == 1 ? classes.iterator().next() : classes.isEmpty() ? "" : MIXED_CLASSES;
    String created = claim.getMetadata().getCreationTimestamp();
    return new ClaimSummary(
        claim.getMetadata().getNamespace(),
        deviceClass,
        ClaimState.of(claim),
        workload(claim, podLabels),
        created == null ? Instant.EPOCH : Instant.parse(created));
  }

  /**
   * The workload kind, from the pod the claim is reserved for, else the pod that owns it (claims
   * made from a template are owned by their pod).
   */
  private static WorkloadKind workload(
      ResourceClaim claim, Function<String, Optional<Map<String, String>>> podLabels) {
    Set<String> pods = new LinkedHashSet<>();
    if (claim.getStatus() != null && claim.getStatus().getReservedFor() != null) {
      for (ResourceClaimConsumerReference consumer : claim.getStatus().getReservedFor()) {
        if ("pods".equals(consumer.getResource())) {
          pods.add(consumer.getName());
        }
      }
    }
    for (OwnerReference owner : claim.getMetadata().getOwnerReferences()) {
      if ("Pod".equals(owner.getKind())) {
        pods.add(owner.getName());
      }
    }
    for (String pod : pods) {
      Optional<Map<String, String>> labels = podLabels.apply(pod);
      if (labels.isPresent()) {
        return WorkloadKind.of(labels.get());
      }
    }
    return WorkloadKind.OTHER;
  }

  private static Set<String> requestedClasses(ResourceClaim claim) {
    Set<String> classes = new LinkedHashSet<>();
    if (claim.getSpec() == null || claim.getSpec().getDevices() == null) {
      return classes;
    }
    for (DeviceRequest request : claim.getSpec().getDevices().getRequests()) {
      if (request.getExactly() != null && request.getExactly().getDeviceClassName() != null) {
        classes.add(request.getExactly().getDeviceClassName());
      }
      for (DeviceSubRequest sub : request.getFirstAvailable()) {
        if (sub.getDeviceClassName() != null) {
          classes.add(sub.getDeviceClassName());
        }
      }
    }
    return classes;
  }

  private static List<DeviceRequestAllocationResult> allocationResults(ResourceClaim claim) {
    if (claim.getStatus() == null
        || claim.getStatus().getAllocation() == null
        || claim.getStatus().getAllocation().getDevices() == null) {
      return List.of();
    }
    return claim.getStatus().getAllocation().getDevices().getResults();
  }
}
