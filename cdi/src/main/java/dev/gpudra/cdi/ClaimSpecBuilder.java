package dev.gpudra.cdi;

import dev.gpudra.cdi.spec.CdiDevice;
import dev.gpudra.cdi.spec.CdiSpec;
import dev.gpudra.cdi.spec.ContainerEdits;
import dev.gpudra.cdi.spec.DeviceNode;
import dev.gpudra.cdi.spec.Mount;
import dev.gpudra.core.config.SharingConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Builds the CDI spec of one claim from its prepared devices. Pure and thread-safe.
 *
 * <p>Each prepared device becomes one CDI device {@code <claimUID>-<deviceName>} of kind {@code
 * k8s.gpu.gpudra.dev/claim} carrying its device nodes (the GPU node; for MIG also the {@code
 * nvidia-caps} nodes of its GPU and compute instance), environment naming the device and its
 * sharing, and the MPS mounts when shared through MPS. The node-wide common edits (control nodes,
 * driver libraries, hooks) go into the spec-level edits, which a runtime applies once whenever any
 * device of the spec is injected: a claim's spec is complete on its own, so a container can never
 * receive a GPU without the files needed to use it.
 *
 * <p>Environment per device, with {@code <N>} the device name upper-cased and {@code -} turned into
 * {@code _} (distinct per device, because runtimes let a later value of a key win):
 *
 * <ul>
 *   <li>{@code GPUDRA_DEVICE_<N>_UUID}, and for MIG {@code GPUDRA_DEVICE_<N>_PARENT_UUID};
 *   <li>{@code GPUDRA_DEVICE_<N>_SHARING_STRATEGY}; for time-slicing {@code
 *       GPUDRA_DEVICE_<N>_TIMESLICE_INTERVAL};
 *   <li>for MPS {@code CUDA_MPS_PIPE_DIRECTORY} and optionally {@code
 *       CUDA_MPS_ACTIVE_THREAD_PERCENTAGE} and {@code CUDA_MPS_PINNED_DEVICE_MEM_LIMIT} (a
 *       container talks to one daemon, so a claim's devices share one); for a fractional share its
 *       limits, and the pipe directory of its GPU's daemon when one serves it.
 * </ul>
 */
public final class ClaimSpecBuilder {
  private static final List<String> MPS_MOUNT_OPTIONS = List.of("rw", "nosuid", "nodev", "bind");

  private final DeviceMajors majors;
  private final ContainerEdits commonEdits;

  /**
   * @param majors the node's device majors
   * @param commonEdits node-wide edits placed at spec level, {@link ContainerEdits#NONE} for none
   */
  public ClaimSpecBuilder(DeviceMajors majors, ContainerEdits commonEdits) {
    if (majors == null || commonEdits == null) {
      throw new IllegalArgumentException("majors and commonEdits are required");
    }
    this.majors = majors;
    this.commonEdits = commonEdits;
  }

  /**
   * Builds the spec of claim {@code claimUid} holding {@code devices}.
   *
   * @throws IllegalArgumentException for an invalid claim UID, no devices, a device name or UUID
   *     listed twice, MPS devices of one claim with different daemons, or MIG devices on a node
   *     without {@code nvidia-caps}
   */
  public ClaimSpec build(String claimUid, List<PreparedDevice> devices) {
    CdiNames.requireClaimUid(claimUid);
    if (devices == null || devices.isEmpty()) {
      throw new IllegalArgumentException("claim " + claimUid + ": no devices to put in a spec");
    }
    requireDistinct(claimUid, devices);
    requireOneMpsDaemon(claimUid, devices);

    List<CdiDevice> cdiDevices = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (PreparedDevice device : devices) {
      String share =
          device.sharing() instanceof Sharing.Fractional fractional ? fractional.shareId() : null;
      cdiDevices.add(
          new CdiDevice(
              CdiNames.cdiDeviceName(claimUid, device.deviceName(), share), editsFor(device)));
      ids.add(CdiNames.qualifiedId(claimUid, device.deviceName(), share));
    }
    CdiSpec spec = CdiSpec.atMinimumVersion(CdiNames.KIND, cdiDevices, commonEdits);
    return new ClaimSpec(claimUid, CdiNames.specFileName(claimUid), spec, ids);
  }

  private ContainerEdits editsFor(PreparedDevice device) {
    String prefix = "GPUDRA_DEVICE_" + envName(device.deviceName()) + "_";
    List<String> env = new ArrayList<>();
    List<DeviceNode> nodes = new ArrayList<>();
    switch (device) {
      case PreparedDevice.FullGpu gpu -> {
        nodes.add(gpuNode(gpu.minor()));
        env.add(prefix + "UUID=" + gpu.uuid());
      }
      case PreparedDevice.MigDevice mig -> {
        if (!majors.hasCaps()) {
          throw new IllegalArgumentException(
              "MIG device " + mig.deviceName() + " on a node without nvidia-caps devices");
        }
        nodes.add(gpuNode(mig.parentMinor()));
        nodes.add(capNode(mig.gpuInstanceCapMinor()));
        nodes.add(capNode(mig.computeInstanceCapMinor()));
        env.add(prefix + "UUID=" + mig.uuid());
        env.add(prefix + "PARENT_UUID=" + mig.parentUuid());
      }
    }
    env.add(prefix + "SHARING_STRATEGY=" + device.sharing().strategy());
    List<Mount> mounts = new ArrayList<>();
    switch (device.sharing()) {
      case Sharing.Configured(SharingConfig.TimeSlicing ts) ->
          env.add(prefix + "TIMESLICE_INTERVAL=" + ts.interval().apiName());
      case Sharing.Configured configured -> {}
      case Sharing.Fractional share -> {
        String uuid =
            switch (device) {
              case PreparedDevice.FullGpu gpu -> gpu.uuid();
              case PreparedDevice.MigDevice mig -> mig.uuid();
            };
        env.add(prefix + "SHARE_ID=" + share.shareId());
        env.add("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=" + share.activeThreadPercentage());
        env.add("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + uuid + "=" + share.memoryLimitMib() + "M");
        if (share.daemon() != null) {
          daemonEdits(share.daemon(), env, mounts);
        }
      }
      case Sharing.Mps mps -> {
        daemonEdits(mps, env, mounts);
        if (mps.activeThreadPercentage() != null) {
          env.add("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=" + mps.activeThreadPercentage());
        }
        if (mps.pinnedMemoryLimitMib() != null) {
          env.add(
              "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT="
                  + uuidOf(device)
                  + "="
                  + mps.pinnedMemoryLimitMib()
                  + "M");
        }
      }
    }
    return new ContainerEdits(env, nodes, List.of(), mounts, List.of());
  }

  // The daemon's pipe directory where CUDA looks by default, and its shared memory at /dev/shm.
  private static void daemonEdits(Sharing.Mps mps, List<String> env, List<Mount> mounts) {
    env.add("CUDA_MPS_PIPE_DIRECTORY=" + Sharing.Mps.CONTAINER_PIPE_DIRECTORY);
    mounts.add(
        Mount.bind(
            mps.hostPipeDirectory(), Sharing.Mps.CONTAINER_PIPE_DIRECTORY, MPS_MOUNT_OPTIONS));
    mounts.add(
        Mount.bind(mps.hostShmDirectory(), Sharing.Mps.CONTAINER_SHM_DIRECTORY, MPS_MOUNT_OPTIONS));
  }

  private static String uuidOf(PreparedDevice device) {
    return switch (device) {
      case PreparedDevice.FullGpu gpu -> gpu.uuid();
      case PreparedDevice.MigDevice mig -> mig.uuid();
    };
  }

  private DeviceNode gpuNode(int minor) {
    return DeviceNode.charDevice("/dev/nvidia" + minor, majors.nvidia(), minor);
  }

  private DeviceNode capNode(int minor) {
    return DeviceNode.charDevice("/dev/nvidia-caps/nvidia-cap" + minor, majors.nvidiaCaps(), minor);
  }

  /** {@code gpu-0-mig-1g10gb-19-0} becomes {@code GPU_0_MIG_1G10GB_19_0}; injective on labels. */
  static String envName(String deviceName) {
    return deviceName.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static void requireDistinct(String claimUid, List<PreparedDevice> devices) {
    Set<String> names = new HashSet<>();
    Set<String> uuids = new HashSet<>();
    for (PreparedDevice d : devices) {
      if (d == null) {
        throw new IllegalArgumentException("claim " + claimUid + ": null device");
      }
      if (!names.add(d.deviceName())) {
        throw new IllegalArgumentException(
            "claim " + claimUid + ": device " + d.deviceName() + " listed twice");
      }
      String uuid =
          switch (d) {
            case PreparedDevice.FullGpu gpu -> gpu.uuid();
            case PreparedDevice.MigDevice mig -> mig.uuid();
          };
      if (!uuids.add(uuid.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            "claim " + claimUid + ": device UUID " + uuid + " listed twice");
      }
    }
  }

  private static void requireOneMpsDaemon(String claimUid, List<PreparedDevice> devices) {
    // A container has one CUDA_MPS_PIPE_DIRECTORY: every device of the claim must use one daemon.
    List<Sharing.Mps> daemons =
        devices.stream()
            .map(PreparedDevice::sharing)
            .map(
                sharing ->
                    switch (sharing) {
                      case Sharing.Mps mps -> mps.directories();
                      case Sharing.Fractional share ->
                          share.daemon() == null ? null : share.daemon().directories();
                      case Sharing.Configured configured -> null;
                    })
            .filter(java.util.Objects::nonNull)
            .distinct()
            .toList();
    if (daemons.size() > 1) {
      throw new IllegalArgumentException(
          "claim " + claimUid + ": MPS devices of one claim must share one daemon, got " + daemons);
    }
  }
}
