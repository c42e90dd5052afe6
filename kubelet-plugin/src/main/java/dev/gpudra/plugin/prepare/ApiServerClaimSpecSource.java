package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.state.ClaimSpecSource;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spec of a completed claim built again from its ResourceClaim: the same pure planning and spec
 * building prepare uses, so the content equals what prepare wrote (an allocated claim's allocation
 * and config cannot change). Only when the plan names exactly the devices the checkpoint holds, all
 * of them devices that exist without the plugin: a dynamic MIG device's new plan would name an
 * instance to create, not the one made at prepare.
 */
public final class ApiServerClaimSpecSource implements ClaimSpecSource {

  private static final Logger LOG = LoggerFactory.getLogger(ApiServerClaimSpecSource.class);

  private final ClaimSource fetcher;
  private final PreparePlanner planner;
  private final ClaimSpecBuilder specs;

  /**
   * @param fetcher reads claims
   * @param planner plans them as prepare does
   * @param specs builds specs as prepare does
   */
  public ApiServerClaimSpecSource(
      ClaimSource fetcher, PreparePlanner planner, ClaimSpecBuilder specs) {
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
    this.planner = Objects.requireNonNull(planner, "planner");
    this.specs = Objects.requireNonNull(specs, "specs");
  }

  @Override
  public Optional<ClaimSpec> specOf(PreparedClaim entry) {
    ClaimRef ref = new ClaimRef(entry.namespace(), entry.uid(), entry.name());
    try {
      Optional<ResourceClaim> claim = fetcher.fetch(entry.namespace(), entry.name());
      if (claim.isEmpty() || !entry.uid().equals(claim.get().getMetadata().getUid())) {
        return cannot(ref, "the ResourceClaim is gone");
      }
      PreparePlan plan = planner.plan(ref, claim.get());
      if (plan.devices().stream().anyMatch(d -> !(d instanceof PlannedDevice.Existing))) {
        return cannot(ref, "its dynamic MIG devices cannot be named again");
      }
      if (!sameDevices(plan.entry(ClaimState.PREPARE_COMPLETED).devices(), entry.devices())) {
        return cannot(ref, "its allocation no longer names the devices the checkpoint holds");
      }
      return Optional.of(specs.build(entry.uid(), plan.hardware()));
    } catch (PrepareRefusedException | IllegalArgumentException e) {
      return cannot(ref, e.getMessage());
    } catch (KubernetesClientException e) {
      return cannot(ref, "reading the ResourceClaim failed: " + e.getMessage());
    }
  }

  private static boolean sameDevices(
      List<CheckpointedDevice> planned, List<CheckpointedDevice> held) {
    return key(planned).equals(key(held));
  }

  private static List<String> key(List<CheckpointedDevice> devices) {
    return devices.stream()
        .map(d -> d.poolName() + "/" + d.deviceName() + "/" + d.shareId() + "/" + d.cdiDeviceIds())
        .toList();
  }

  private static Optional<ClaimSpec> cannot(ClaimRef ref, String reason) {
    LOG.warn("cannot write the missing CDI spec of claim {} again: {}", ref, reason);
    return Optional.empty();
  }
}
