package dev.gpudra.core.checkpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * Settings that belong to a whole GPU (its compute time slice; its MPS control daemon, which needs
 * compute mode {@code EXCLUSIVE_PROCESS} where time-slicing needs {@code DEFAULT}) asked
 * differently by two claims sharing it. The GPU has one value for all its claims, so the claim that
 * comes second is refused with a message naming the GPU, both values and the claim holding the
 * other one; the first keeps what it has. Pure.
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
    mpsConflicts(checkpoint, uid, devices, out);
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

  // MPS and time-slicing on one GPU; two MPS claims asking the daemon for different defaults.
  private static void mpsConflicts(
      Checkpoint checkpoint, String uid, List<CheckpointedDevice> devices, List<String> out) {
    for (CheckpointedDevice mine : devices) {
      String gpu =
          mine.mps() != null
              ? mine.mps().gpuUuid()
              : mine.timeSlice() != null ? mine.timeSlice().gpuUuid() : null;
      if (gpu == null) {
        continue;
      }
      for (PreparedClaim other : checkpoint.entries()) {
        if (other.uid().equals(uid)) {
          continue;
        }
        for (CheckpointedDevice theirs : other.devices()) {
          String holder =
              " for claim " + other.namespace() + "/" + other.name() + " (" + other.uid() + ")";
          String message = null;
          if (mine.mps() != null
              && theirs.timeSlice() != null
              && theirs.timeSlice().gpuUuid().equals(gpu)) {
            message =
                "device "
                    + mine.deviceName()
                    + " asks for MPS but its GPU "
                    + gpu
                    + " is time-sliced"
                    + holder
                    + "; MPS needs compute mode EXCLUSIVE_PROCESS, time-slicing DEFAULT: ask for"
                    + " another GPU";
          } else if (mine.timeSlice() != null
              && theirs.mps() != null
              && theirs.mps().gpuUuid().equals(gpu)) {
            message =
                "device "
                    + mine.deviceName()
                    + " asks for time-slicing but its GPU "
                    + gpu
                    + " runs an MPS control daemon"
                    + holder
                    + "; MPS needs compute mode EXCLUSIVE_PROCESS, time-slicing DEFAULT: ask for"
                    + " another GPU";
          } else if (mine.mps() != null
              && theirs.mps() != null
              && theirs.mps().gpuUuid().equals(gpu)
              && (mine.mps().setsDefaults() || theirs.mps().setsDefaults())
              && !mine.mps().equals(theirs.mps())) {
            message =
                "device "
                    + mine.deviceName()
                    + " asks the MPS daemon of GPU "
                    + gpu
                    + " for defaults "
                    + defaults(mine.mps())
                    + " but it runs with "
                    + defaults(theirs.mps())
                    + holder
                    + "; a GPU has one MPS daemon for all claims sharing it";
          }
          if (message != null && !out.contains(message)) {
            out.add(message);
          }
        }
      }
    }
  }

  private static String defaults(MpsRecord mps) {
    return "(activeThreadPercentage "
        + (mps.defaultActiveThreadPercentage() == null
            ? "unset"
            : mps.defaultActiveThreadPercentage())
        + ", pinnedMemoryLimit "
        + (mps.defaultPinnedMemoryLimitMib() == null
            ? "unset"
            : mps.defaultPinnedMemoryLimitMib() + "Mi")
        + ")";
  }
}
