package dev.gpudra.core.checkpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * Settings that belong to a whole GPU (its compute time slice) asked differently by two claims
 * sharing it. The GPU has one value for all its claims, so the claim that comes second is refused
 * with a message naming the GPU, both values and the claim holding the other one; the first keeps
 * what it has. Pure.
 */
public final class GpuSettingConflicts {

  private GpuSettingConflicts() {}

  /**
   * Conflicts of {@code devices}, planned for claim {@code uid}, with what other claims in {@code
   * checkpoint} recorded; empty when none.
   */
  public static List<String> of(
      Checkpoint checkpoint, String uid, List<CheckpointedDevice> devices) {
    List<String> out = new ArrayList<>();
    for (CheckpointedDevice mine : devices) {
      TimeSlice wanted = mine.timeSlice();
      if (wanted == null) {
        continue;
      }
      for (PreparedClaim other : checkpoint.entries()) {
        if (other.uid().equals(uid)) {
          continue;
        }
        for (CheckpointedDevice theirs : other.devices()) {
          TimeSlice held = theirs.timeSlice();
          if (held != null
              && held.gpuUuid().equals(wanted.gpuUuid())
              && !held.interval().equals(wanted.interval())) {
            String message =
                "device "
                    + mine.deviceName()
                    + " asks time-slice interval "
                    + wanted.interval()
                    + " but its GPU "
                    + wanted.gpuUuid()
                    + " runs interval "
                    + held.interval()
                    + " for claim "
                    + other.namespace()
                    + "/"
                    + other.name()
                    + " ("
                    + other.uid()
                    + "); a GPU has one time slice for all claims sharing it: ask for "
                    + held.interval()
                    + " or for another GPU";
            if (!out.contains(message)) {
              out.add(message);
            }
          }
        }
      }
    }
    return out;
  }
}
