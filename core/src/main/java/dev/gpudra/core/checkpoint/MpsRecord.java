package dev.gpudra.core.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * A device whose containers are clients of its GPU's MPS control daemon (strategy {@code MPS}, or a
 * fractional share enforced through MPS): recorded in {@code PREPARE_STARTED} before the daemon is
 * started or the GPU's compute mode changed, so that unprepare, the repeated calls after a crash
 * and start-up recovery know which GPU's daemon the claim holds, from the checkpoint alone.
 *
 * <p>The daemon belongs to the GPU, not to the claim: every claim on the GPU records the same
 * {@code gpuUuid}, and the daemon is stopped (and the compute mode restored) only when the last of
 * them is unprepared. The defaults are what the daemon itself enforces for every client (set before
 * the first client connects); a recovery that has to start the daemon again sets them again.
 *
 * @param gpuUuid UUID of the full GPU whose daemon the device's containers use
 * @param defaultActiveThreadPercentage the daemon's default active thread percentage (1..100), or
 *     null to leave the daemon's own default (100)
 * @param defaultPinnedMemoryLimitMib the daemon's default pinned device memory limit on the GPU in
 *     MiB, or null for none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MpsRecord(
    String gpuUuid, Integer defaultActiveThreadPercentage, Long defaultPinnedMemoryLimitMib) {

  /** Requires a GPU and limits in range. */
  public MpsRecord {
    Objects.requireNonNull(gpuUuid, "gpuUuid");
    if (defaultActiveThreadPercentage != null
        && (defaultActiveThreadPercentage < 1 || defaultActiveThreadPercentage > 100)) {
      throw new IllegalArgumentException(
          "MPS default active thread percentage must be 1..100, got "
              + defaultActiveThreadPercentage);
    }
    if (defaultPinnedMemoryLimitMib != null && defaultPinnedMemoryLimitMib < 1) {
      throw new IllegalArgumentException(
          "MPS default pinned memory limit must be at least 1 MiB, got "
              + defaultPinnedMemoryLimitMib);
    }
  }

  /** A client of GPU {@code gpuUuid}'s daemon that sets no daemon-wide limit. */
  public static MpsRecord clientOf(String gpuUuid) {
    return new MpsRecord(gpuUuid, null, null);
  }

  /** Whether the daemon's defaults differ from the daemon's own (nothing to set). */
  public boolean setsDefaults() {
    return defaultActiveThreadPercentage != null || defaultPinnedMemoryLimitMib != null;
  }
}
