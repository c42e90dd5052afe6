package dev.gpudra.plugin.metrics;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.slice.DeviceNames;
import dev.gpudra.plugin.sharing.NvidiaSmiTimeSlices;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * How the node's GPUs are shared right now, computed from the prepared claims (the checkpoint) and
 * what each claim's allocation consumes ({@link ClaimSharingFacts}). Pure; the sharing metrics
 * publish it.
 *
 * <p>A GPU counts every prepared claim holding it, whole, as a MIG device or as a share. Its
 * allocated memory and cores are the sums of its shares' consumed capacity. A workload holds the
 * consumed capacity of its shares plus, for each GPU its claims hold whole, all of that GPU's
 * memory and 100% of its cores; MIG devices and admin access add nothing to either sum (a MIG
 * device's slice is its own device, admin access takes no share).
 *
 * @param gpus by device name of the GPU ({@code gpu-<minor>})
 * @param workloads what each workload holds
 */
public record SharingSnapshot(Map<String, GpuSharing> gpus, Map<Workload, Held> workloads) {

  /**
   * One GPU's sharing.
   *
   * @param claims prepared claims holding the GPU or a part of it
   * @param sharedMemoryBytes memory allocated to its shares
   * @param sharedCoresPercent cores allocated to its shares, in percent of its multiprocessors
   * @param timeSlice its time slice as {@code nvidia-smi} numbers it (0 Default, 1 Short, 2 Medium,
   *     3 Long); 0 when no claim set one
   */
  public record GpuSharing(
      int claims, long sharedMemoryBytes, int sharedCoresPercent, int timeSlice) {

    static final GpuSharing IDLE = new GpuSharing(0, 0, 0, 0);
  }

  /**
   * GPU memory and compute a workload holds on the node.
   *
   * @param memoryBytes bytes of GPU memory
   * @param coresPercent percent of a GPU's multiprocessors, summed over GPUs (two whole GPUs: 200)
   */
  public record Held(long memoryBytes, int coresPercent) {
    Held plus(long memory, int cores) {
      return new Held(memoryBytes + memory, coresPercent + cores);
    }
  }

  /** Copies. */
  public SharingSnapshot {
    gpus = Map.copyOf(gpus);
    workloads = Map.copyOf(workloads);
  }

  /**
   * The sharing of {@code checkpoint}'s prepared claims.
   *
   * @param facts by claim UID; a claim without facts counts on its GPUs but for no workload
   * @param gpuMemoryBytes memory of each GPU by device name, for claims holding whole GPUs
   */
  public static SharingSnapshot of(
      Checkpoint checkpoint,
      Map<String, ClaimSharingFacts> facts,
      Map<String, Long> gpuMemoryBytes) {
    Map<String, Set<String>> claims = new TreeMap<>();
    Map<String, long[]> shared = new TreeMap<>(); // memory, cores
    Map<String, Integer> slices = new TreeMap<>();
    Map<Workload, Held> workloads = new LinkedHashMap<>();
    for (PreparedClaim claim : checkpoint.entries()) {
      if (claim.state() != ClaimState.PREPARE_COMPLETED) {
        continue;
      }
      Optional<ClaimSharingFacts> known = Optional.ofNullable(facts.get(claim.uid()));
      for (CheckpointedDevice device : claim.devices()) {
        Optional<DeviceNames.Parsed> parsed = DeviceNames.parse(device.deviceName());
        if (parsed.isEmpty()) {
          continue;
        }
        String gpu = DeviceNames.gpu(parsed.get().minor());
        claims.computeIfAbsent(gpu, g -> new HashSet<>()).add(claim.uid());
        if (device.timeSlice() != null) {
          slices.merge(
              gpu, NvidiaSmiTimeSlices.code(device.timeSlice().timeSliceInterval()), Math::max);
        }
        if (device.adminAccess() || known.isEmpty()) {
          continue;
        }
        Workload workload = known.get().workload();
        if (device.shareId() != null) {
          ClaimSharingFacts.Share share = known.get().shares().get(device.shareId());
          if (share != null) {
            long[] sums = shared.computeIfAbsent(gpu, g -> new long[2]);
            sums[0] += share.memoryBytes();
            sums[1] += share.coresPercent();
            workloads.merge(
                workload,
                new Held(share.memoryBytes(), share.coresPercent()),
                (a, b) -> a.plus(b.memoryBytes(), b.coresPercent()));
          }
        } else if (parsed.get() instanceof DeviceNames.Parsed.FullGpu) {
          long memory = gpuMemoryBytes.getOrDefault(gpu, 0L);
          workloads.merge(
              workload, new Held(memory, 100), (a, b) -> a.plus(b.memoryBytes(), b.coresPercent()));
        }
      }
    }
    Map<String, GpuSharing> gpus = new TreeMap<>();
    claims.forEach(
        (gpu, uids) -> {
          long[] sums = shared.getOrDefault(gpu, new long[2]);
          gpus.put(
              gpu,
              new GpuSharing(uids.size(), sums[0], (int) sums[1], slices.getOrDefault(gpu, 0)));
        });
    return new SharingSnapshot(gpus, workloads);
  }
}
