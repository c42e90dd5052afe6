package dev.gpudra.core.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * A MIG device the plugin creates for a claim (dynamic MIG): where it goes, recorded before the GPU
 * is touched, and what NVML made, recorded once it exists.
 *
 * <p>The placement alone identifies the GPU instance on its GPU (two GPU instances never start at
 * the same memory slice), so a crash between creating the instance and recording its ids leaves
 * enough to find it again.
 *
 * @param parentUuid UUID of the GPU it lives on
 * @param profileId GPU-instance profile id (as in the device name)
 * @param placementStart first memory slice of the placement
 * @param placementSize memory slices it spans
 * @param instance the GPU and compute instance NVML created; {@code null} while not (yet) created
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DynamicMig(
    String parentUuid,
    int profileId,
    int placementStart,
    int placementSize,
    MigInstanceIds instance) {

  /** Requires the parent and a valid placement. */
  public DynamicMig {
    Objects.requireNonNull(parentUuid, "parentUuid");
    if (profileId < 0 || placementStart < 0 || placementSize < 1) {
      throw new IllegalArgumentException(
          "invalid MIG placement: profile "
              + profileId
              + " at "
              + placementStart
              + "+"
              + placementSize);
    }
  }

  /** The placement to create, nothing created yet. */
  public static DynamicMig planned(
      String parentUuid, int profileId, int placementStart, int placementSize) {
    return new DynamicMig(parentUuid, profileId, placementStart, placementSize, null);
  }

  /** The same placement with the instance NVML {@code created} recorded. */
  public DynamicMig withInstance(MigInstanceIds created) {
    return new DynamicMig(
        parentUuid,
        profileId,
        placementStart,
        placementSize,
        Objects.requireNonNull(created, "created"));
  }

  /** The same placement with no instance recorded. */
  public DynamicMig withoutInstance() {
    return planned(parentUuid, profileId, placementStart, placementSize);
  }
}
