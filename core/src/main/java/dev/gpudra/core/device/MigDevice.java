package dev.gpudra.core.device;

import java.util.Objects;

/**
 * A MIG device that exists on the node: one compute instance inside one GPU instance.
 *
 * @param uuid the MIG device's own UUID ({@code MIG-...})
 * @param parentUuid UUID of the GPU it lives on
 * @param parentMinor minor number of that GPU ({@code /dev/nvidia<minor>})
 * @param profileName GPU-instance profile name, e.g. {@code 3g.40gb}
 * @param profileId GPU-instance profile id as the driver reports it
 * @param gpuInstanceId GPU instance id on the parent
 * @param computeInstanceId compute instance id within the GPU instance
 * @param placement where the GPU instance sits on the parent
 * @param memoryBytes memory visible to the MIG device
 * @param resources what its GPU instance takes from the parent
 */
public record MigDevice(
    String uuid,
    String parentUuid,
    int parentMinor,
    String profileName,
    int profileId,
    int gpuInstanceId,
    int computeInstanceId,
    MigPlacement placement,
    long memoryBytes,
    MigCounters resources) {

  public MigDevice {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(parentUuid, "parentUuid");
    Objects.requireNonNull(profileName, "profileName");
    Objects.requireNonNull(placement, "placement");
    Objects.requireNonNull(resources, "resources");
  }
}
