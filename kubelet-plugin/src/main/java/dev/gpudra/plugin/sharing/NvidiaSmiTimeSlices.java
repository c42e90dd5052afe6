package dev.gpudra.plugin.sharing;

import dev.gpudra.core.config.TimeSliceInterval;
import java.util.List;
import java.util.Objects;

/**
 * Time slices through the driver's {@code nvidia-smi compute-policy --set-timeslice <0..3>} (0
 * Default, 1 Short, 2 Medium, 3 Long). Before a non-default slice the GPU's compute mode is set to
 * {@code DEFAULT}: time-slicing between processes needs a GPU that admits several contexts (an
 * {@code EXCLUSIVE_PROCESS} GPU admits one).
 */
public final class NvidiaSmiTimeSlices implements TimeSliceControl {

  private final DriverTools tools;

  /**
   * @param tools runs the driver's binaries
   */
  public NvidiaSmiTimeSlices(DriverTools tools) {
    this.tools = Objects.requireNonNull(tools, "tools");
  }

  @Override
  public void set(String gpuUuid, TimeSliceInterval interval) throws DriverToolException {
    if (interval != TimeSliceInterval.DEFAULT) {
      tools.run("nvidia-smi", List.of("-i", gpuUuid, "-c", "DEFAULT"));
    }
    tools.run(
        "nvidia-smi",
        List.of(
            "compute-policy", "-i", gpuUuid, "--set-timeslice", Integer.toString(code(interval))));
  }

  /** The tool's number for {@code interval}. */
  public static int code(TimeSliceInterval interval) {
    return switch (interval) {
      case DEFAULT -> 0;
      case SHORT -> 1;
      case MEDIUM -> 2;
      case LONG -> 3;
    };
  }
}
