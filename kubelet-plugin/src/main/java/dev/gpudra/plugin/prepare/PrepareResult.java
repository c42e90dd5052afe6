package dev.gpudra.plugin.prepare;

import dev.gpudra.core.checkpoint.CheckpointedDevice;
import java.util.List;
import java.util.Objects;

/** The outcome of preparing one claim, as the kubelet gets it. */
public sealed interface PrepareResult {

  /**
   * Prepared; the same answer for every repeated call.
   *
   * @param devices the devices with their CDI ids
   */
  record Prepared(List<CheckpointedDevice> devices) implements PrepareResult {
    /** Copies. */
    public Prepared {
      devices = List.copyOf(devices);
    }
  }

  /**
   * Not prepared.
   *
   * @param error the reason, naming the claim
   */
  record Failed(String error) implements PrepareResult {
    /** Requires a non-empty reason: an empty error string means success to the kubelet. */
    public Failed {
      Objects.requireNonNull(error, "error");
      if (error.isEmpty()) {
        throw new IllegalArgumentException("an error needs a reason");
      }
    }
  }
}
