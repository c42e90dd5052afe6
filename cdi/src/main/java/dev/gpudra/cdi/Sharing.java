package dev.gpudra.cdi;

import dev.gpudra.cdi.spec.ContainerPaths;
import dev.gpudra.core.config.SharingConfig;
import dev.gpudra.core.config.TimeSliceInterval;

/**
 * How a prepared device is shared, as far as the container needs to know.
 *
 * <p>The sharing model is core's {@link SharingConfig}; this type only adds what the node decided
 * when it set sharing up (where the MPS daemon runs), so that the strategies and the time-slice
 * intervals are spelled in one place. The work of sharing (time-slice policy, the MPS control
 * daemon) happens elsewhere; this only decides what the container's environment and mounts say
 * about it:
 *
 * <ul>
 *   <li>{@link Configured} exclusive use: nothing beyond the strategy name;
 *   <li>{@link Configured} time-slicing: the strategy and interval, informational (the policy is
 *       set on the GPU, not in the container);
 *   <li>{@link Mps}: the GPU's MPS pipe and shared-memory directories are mounted where CUDA looks
 *       for them, {@code CUDA_MPS_PIPE_DIRECTORY} points at the pipe directory and, when set,
 *       {@code CUDA_MPS_ACTIVE_THREAD_PERCENTAGE} caps the client's share of SMs and {@code
 *       CUDA_MPS_PINNED_DEVICE_MEM_LIMIT} its pinned device memory;
 *   <li>{@link Fractional}: a share's limits as MPS client limits, and its daemon's directories as
 *       for {@link Mps} when a daemon serves it.
 * </ul>
 */
public sealed interface Sharing {
  /** The strategy name as the opaque config API spells it. */
  String strategy();

  /** The default: the device belongs to one claim and is not shared inside it. */
  static Sharing exclusive() {
    return new Configured(new SharingConfig.Exclusive());
  }

  /** Time-slicing between the claim's containers with the given interval. */
  static Sharing timeSlicing(TimeSliceInterval interval) {
    if (interval == null) {
      throw new IllegalArgumentException("time-slicing needs an interval");
    }
    return new Configured(new SharingConfig.TimeSlicing(interval));
  }

  /**
   * A strategy that needs nothing on the node beyond the user's configuration: exclusive use or
   * time-slicing. MPS is never carried here, because the container needs the daemon's directories.
   *
   * @param config the validated configuration
   */
  record Configured(SharingConfig config) implements Sharing {
    /** Requires a configuration other than MPS. */
    public Configured {
      if (config == null) {
        throw new IllegalArgumentException("sharing must be given");
      }
      if (config instanceof SharingConfig.Mps) {
        throw new IllegalArgumentException("MPS sharing needs its daemon's directories");
      }
    }

    @Override
    public String strategy() {
      return config.strategy();
    }
  }

  /**
   * One share of a GPU allocated to several claims at once (consumable capacity): the claim's
   * consumed {@code memory} and {@code cores} become its MPS client limits, and the share's id
   * makes its CDI device name unique.
   *
   * @param shareId the allocation's share ID (a UUID)
   * @param memoryLimitBytes pinned device memory the share may use, at least 1 MiB
   * @param activeThreadPercentage 1..100 percent of the GPU's multiprocessors
   * @param daemon the GPU's MPS control daemon the share's containers connect to (its limits here
   *     are unused: the share's own limits apply), or null where none runs
   */
  record Fractional(String shareId, long memoryLimitBytes, int activeThreadPercentage, Mps daemon)
      implements Sharing {

    /** A share without a daemon's directories. */
    public Fractional(String shareId, long memoryLimitBytes, int activeThreadPercentage) {
      this(shareId, memoryLimitBytes, activeThreadPercentage, null);
    }

    /** The same share as a client of {@code mps}'s daemon. */
    public Fractional withDaemon(Mps mps) {
      return new Fractional(shareId, memoryLimitBytes, activeThreadPercentage, mps);
    }

    /** Validates the limits. */
    public Fractional {
      if (shareId == null || shareId.isBlank()) {
        throw new IllegalArgumentException("a fractional share needs its share ID");
      }
      if (memoryLimitBytes < SharingConfig.Mps.MIN_PINNED_MEMORY_BYTES) {
        throw new IllegalArgumentException(
            "share memory limit must be at least 1Mi, got " + memoryLimitBytes);
      }
      if (activeThreadPercentage < 1 || activeThreadPercentage > 100) {
        throw new IllegalArgumentException(
            "share cores must be 1..100 percent, got " + activeThreadPercentage);
      }
    }

    @Override
    public String strategy() {
      return "Fractional";
    }

    /** The memory limit in whole MiB, rounded down, as MPS takes it. */
    public long memoryLimitMib() {
      return memoryLimitBytes / (1024L * 1024L);
    }
  }

  /**
   * CUDA Multi-Process Service through the GPU's control daemon.
   *
   * @param hostPipeDirectory the daemon's pipe directory on the host
   * @param hostShmDirectory the daemon's shared-memory directory on the host, mounted at {@code
   *     /dev/shm}
   * @param activeThreadPercentage 1..100, or null to leave the daemon's default
   * @param pinnedMemoryLimitMib the client's pinned device memory limit on the device in MiB, or
   *     null to leave the daemon's default
   */
  record Mps(
      String hostPipeDirectory,
      String hostShmDirectory,
      Integer activeThreadPercentage,
      Long pinnedMemoryLimitMib)
      implements Sharing {

    /** MPS without a client memory limit. */
    public Mps(String hostPipeDirectory, String hostShmDirectory, Integer activeThreadPercentage) {
      this(hostPipeDirectory, hostShmDirectory, activeThreadPercentage, null);
    }

    /** Where the pipe directory appears in the container: CUDA's default location. */
    public static final String CONTAINER_PIPE_DIRECTORY = "/tmp/nvidia-mps";

    /** Where the shared-memory directory appears in the container. */
    public static final String CONTAINER_SHM_DIRECTORY = "/dev/shm";

    /** Validates the directories and the percentage. */
    public Mps {
      ContainerPaths.requireAbsolute(hostPipeDirectory, "MPS hostPipeDirectory");
      ContainerPaths.requireAbsolute(hostShmDirectory, "MPS hostShmDirectory");
      if (activeThreadPercentage != null
          && (activeThreadPercentage < 1 || activeThreadPercentage > 100)) {
        throw new IllegalArgumentException(
            "MPS activeThreadPercentage must be 1..100, got " + activeThreadPercentage);
      }
      if (pinnedMemoryLimitMib != null && pinnedMemoryLimitMib < 1) {
        throw new IllegalArgumentException(
            "MPS pinnedMemoryLimitMib must be at least 1, got " + pinnedMemoryLimitMib);
      }
    }

    /** The same daemon's directories without client limits: what identifies the daemon. */
    public Mps directories() {
      return new Mps(hostPipeDirectory, hostShmDirectory, null, null);
    }

    @Override
    public String strategy() {
      return "MPS";
    }
  }
}
