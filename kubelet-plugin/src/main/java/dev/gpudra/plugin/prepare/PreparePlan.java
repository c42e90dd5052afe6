package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.ArrayList;
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

  /** The same claim with {@code next} devices (the ones effects created in place of new ones). */
  public PreparePlan withDevices(List<PlannedDevice> next) {
    if (next.size() != devices.size()) {
      throw new IllegalArgumentException("a plan keeps its number of devices");
    }
    return new PreparePlan(claim, next);
  }

  /**
   * The hardware of every device, for the CDI spec.
   *
   * @throws IllegalStateException when a device still has to be created
   */
  public List<PreparedDevice> hardware() {
    List<PreparedDevice> hardware = new ArrayList<>();
    for (PlannedDevice device : devices) {
      switch (device) {
        case PlannedDevice.Existing existing -> hardware.add(existing.hardware());
        case PlannedDevice.NewMig mig ->
            throw new IllegalStateException(
                "MIG device " + mig.record().deviceName() + " has not been created");
      }
    }
    return hardware;
  }
}
