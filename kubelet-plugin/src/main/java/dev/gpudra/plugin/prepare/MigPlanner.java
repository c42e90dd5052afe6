package dev.gpudra.plugin.prepare;

import static dev.gpudra.plugin.prepare.PreparePlanner.refused;

import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.DynamicMig;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.slice.DeviceNames;

/**
 * The MIG half of {@link PreparePlanner}: turns an allocated MIG device name into the existing MIG
 * device it names (static MIG) or into the placement the plugin will create (dynamic MIG), refusing
 * names that do not fit the GPU as it is now. Pure: reads the inventory it is given, writes
 * nothing.
 */
final class MigPlanner {

  private final MigMinors migMinors;

  MigPlanner(MigMinors migMinors) {
    this.migMinors = migMinors;
  }

  /**
   * A placement of a GPU whose MIG devices the plugin creates: the name must be one the slices
   * publish (a whole GPU instance at one of its profile's placements) on a GPU in MIG mode.
   */
  PlannedDevice toCreate(
      ClaimRef ref,
      CheckpointedDevice record,
      Gpu gpu,
      DeviceNames.Parsed.Mig parsed,
      Sharing sharing)
      throws PrepareRefusedException {
    String deviceName = record.deviceName();
    if (parsed.computeInstanceId().isPresent()) {
      throw refused(
          ref,
          "device "
              + deviceName
              + " names one compute instance; with dynamic MIG the plugin publishes and creates"
              + " whole GPU instances only");
    }
    if (record.adminAccess()) {
      throw refused(
          ref,
          "admin access to MIG device "
              + deviceName
              + " is not supported with dynamic MIG: the device exists only while the claim that"
              + " created it holds it");
    }
    MigProfile profile =
        gpu.migProfiles().stream()
            .filter(
                p ->
                    p.id() == parsed.profileId()
                        && DeviceNames.profileLabel(p.name()).equals(parsed.profileLabel()))
            .findFirst()
            .orElseThrow(
                () ->
                    refused(
                        ref,
                        "GPU "
                            + gpu.minor()
                            + " has no MIG profile "
                            + parsed.profileLabel()
                            + " with id "
                            + parsed.profileId()
                            + " (device "
                            + deviceName
                            + ")"));
    MigPlacement placement =
        profile.placements().stream()
            .filter(p -> p.start() == parsed.placementStart())
            .findFirst()
            .orElseThrow(
                () ->
                    refused(
                        ref,
                        "MIG profile "
                            + profile.name()
                            + " has no placement starting at memory slice "
                            + parsed.placementStart()
                            + " on GPU "
                            + gpu.minor()
                            + " (device "
                            + deviceName
                            + ")"));
    if (!gpu.migMode().current()) {
      throw refused(
          ref,
          "MIG mode is disabled on GPU "
              + gpu.minor()
              + ", so MIG device "
              + deviceName
              + " cannot be created; this plugin does not switch MIG mode on (an administrator"
              + " can: nvidia-smi -i "
              + gpu.uuid()
              + " -mig 1)");
    }
    return new PlannedDevice.NewMig(
        record.withDynamicMig(
            DynamicMig.planned(gpu.uuid(), profile.id(), placement.start(), placement.size())),
        gpu.minor(),
        sharing);
  }

  /** The existing MIG device {@code parsed} names on {@code gpu}, with its capability minors. */
  PreparedDevice existing(
      ClaimRef ref, String deviceName, Gpu gpu, DeviceNames.Parsed.Mig parsed, Sharing sharing)
      throws PrepareRefusedException {
    MigDevice mig =
        gpu.migDevices().stream()
            .filter(
                m ->
                    m.profileId() == parsed.profileId()
                        && m.placement().start() == parsed.placementStart()
                        && DeviceNames.profileLabel(m.profileName()).equals(parsed.profileLabel())
                        && (parsed.computeInstanceId().isEmpty()
                            || parsed.computeInstanceId().getAsInt() == m.computeInstanceId()))
            .findFirst()
            .orElseThrow(
                () ->
                    refused(
                        ref,
                        "MIG device "
                            + deviceName
                            + " does not exist on this node (creating MIG devices on demand is"
                            + " not enabled for its GPU)"));
    int giCap =
        migMinors
            .gpuInstance(gpu.minor(), mig.gpuInstanceId())
            .orElseThrow(() -> refused(ref, "no nvidia-caps minor for " + deviceName + " GI"));
    int ciCap =
        migMinors
            .computeInstance(gpu.minor(), mig.gpuInstanceId(), mig.computeInstanceId())
            .orElseThrow(() -> refused(ref, "no nvidia-caps minor for " + deviceName + " CI"));
    return new PreparedDevice.MigDevice(
        deviceName,
        gpu.minor(),
        gpu.uuid(),
        mig.uuid(),
        mig.gpuInstanceId(),
        mig.computeInstanceId(),
        giCap,
        ciCap,
        sharing);
  }
}
