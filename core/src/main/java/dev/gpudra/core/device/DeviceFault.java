package dev.gpudra.core.device;

import java.util.Objects;

/**
 * A GPU that could not be read. Discovery carries on with the other GPUs and reports this one, so a
 * single lost GPU never hides a node's healthy ones.
 *
 * @param index NVML device index of the failing GPU
 * @param function the NVML function that failed
 * @param error NVML's own error string
 */
public record DeviceFault(int index, String function, String error) {
  public DeviceFault {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(error, "error");
  }
}
