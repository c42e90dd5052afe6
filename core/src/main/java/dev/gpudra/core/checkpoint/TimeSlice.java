package dev.gpudra.core.checkpoint;

import dev.gpudra.core.config.TimeSliceInterval;
import java.util.Objects;

/**
 * A GPU's compute time slice set for a claim (the {@code TimeSlicing} strategy): recorded in {@code
 * PREPARE_STARTED} before the GPU is touched, so that unprepare and the repeated calls after a
 * crash know which GPU to restore, from the checkpoint alone.
 *
 * <p>The time slice belongs to the GPU, not to the claim: several claims sharing one GPU record the
 * same interval, and the GPU goes back to {@code Default} only when the last of them is unprepared.
 *
 * @param gpuUuid UUID of the full GPU whose time slice is set
 * @param interval the interval's API name ({@code Default}, {@code Short}, {@code Medium}, {@code
 *     Long})
 */
public record TimeSlice(String gpuUuid, String interval) {

  /** Requires a GPU and a known interval. */
  public TimeSlice {
    Objects.requireNonNull(gpuUuid, "gpuUuid");
    if (TimeSliceInterval.fromApiName(interval).isEmpty()) {
      throw new IllegalArgumentException("unknown time-slice interval: " + interval);
    }
  }

  /** The record of {@code interval} on GPU {@code gpuUuid}. */
  public static TimeSlice of(String gpuUuid, TimeSliceInterval interval) {
    return new TimeSlice(gpuUuid, interval.apiName());
  }

  /** The interval as the enum. */
  public TimeSliceInterval timeSliceInterval() {
    return TimeSliceInterval.fromApiName(interval).orElseThrow();
  }
}
