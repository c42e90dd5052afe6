package dev.gpudra.plugin.prepare;

import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.List;
import java.util.Objects;

/**
 * What preparing one claim means on this node, decided before anything is written.
 *
 * @param claim the claim
 * @param devices its devices in allocation order, each once
 */
public record PreparePlan(ClaimRef claim, List<PlannedDevice> devices) {

  /** Copies; a plan has at least one device. */
  public PreparePlan {
    Objects.requireNonNull(claim, "claim");
    devices = List.copyOf(devices);
    if (devices.isEmpty()) {
      throw new IllegalArgumentException("a plan needs at least one device");
    }
  }

  /** The checkpoint records of the devices. */
  public List<CheckpointedDevice> records() {
    return devices.stream().map(PlannedDevice::record).toList();
  }

  /** The checkpoint entry of this plan in {@code state}. */
  public PreparedClaim entry(ClaimState state) {
    return new PreparedClaim(claim.uid(), claim.namespace(), claim.name(), state, records());
  }
}
