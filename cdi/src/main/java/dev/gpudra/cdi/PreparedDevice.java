package dev.gpudra.cdi;

import java.util.regex.Pattern;

/**
 * A device of a claim that the node has prepared, with what CDI needs to hand it to a container.
 *
 * <p>All numbers are the kernel's: GPU minors as in {@code /dev/nvidia<minor>}, capability minors
 * as listed in {@code /proc/driver/nvidia-caps/mig-minors}.
 */
public sealed interface PreparedDevice {
  /** The device name as published in the ResourceSlice, e.g. {@code gpu-0}. */
  String deviceName();

  /** How the device is shared. */
  Sharing sharing();

  /**
   * A whole GPU.
   *
   * @param deviceName published name
   * @param minor GPU minor number
   * @param uuid {@code GPU-...} UUID
   * @param sharing sharing settings
   */
  record FullGpu(String deviceName, int minor, String uuid, Sharing sharing)
      implements PreparedDevice {
    /** Validates every field. */
    public FullGpu {
      CdiNames.requireDeviceName(deviceName);
      Checks.requireGpuMinor(minor, "GPU minor");
      Checks.requireGpuUuid(uuid, "GPU UUID");
      Checks.requireSharing(sharing);
    }
  }

  /**
   * A MIG device: a compute instance inside a GPU instance of a parent GPU.
   *
   * @param deviceName published name
   * @param parentMinor parent GPU minor number
   * @param parentUuid parent {@code GPU-...} UUID
   * @param uuid {@code MIG-...} UUID
   * @param gpuInstanceId GPU instance id
   * @param computeInstanceId compute instance id within the GPU instance
   * @param gpuInstanceCapMinor {@code nvidia-caps} minor of {@code gpu<m>/gi<g>/access}
   * @param computeInstanceCapMinor {@code nvidia-caps} minor of {@code gpu<m>/gi<g>/ci<c>/access}
   * @param sharing sharing settings
   */
  record MigDevice(
      String deviceName,
      int parentMinor,
      String parentUuid,
      String uuid,
      int gpuInstanceId,
      int computeInstanceId,
      int gpuInstanceCapMinor,
      int computeInstanceCapMinor,
      Sharing sharing)
      implements PreparedDevice {
    /** Validates every field. */
    public MigDevice {
      CdiNames.requireDeviceName(deviceName);
      Checks.requireGpuMinor(parentMinor, "parent GPU minor");
      Checks.requireGpuUuid(parentUuid, "parent GPU UUID");
      Checks.requireUuid(uuid, Checks.MIG_UUID, "MIG UUID");
      if (gpuInstanceId < 0 || computeInstanceId < 0) {
        throw new IllegalArgumentException("MIG " + deviceName + ": negative GI/CI id");
      }
      Checks.requireCapMinor(gpuInstanceCapMinor, "GPU instance capability minor");
      Checks.requireCapMinor(computeInstanceCapMinor, "compute instance capability minor");
      if (gpuInstanceCapMinor == computeInstanceCapMinor) {
        throw new IllegalArgumentException(
            "MIG " + deviceName + ": GI and CI capability minors must differ");
      }
      Checks.requireSharing(sharing);
    }
  }

  /** Field checks shared by the variants. */
  final class Checks {
    // GPU-<uuid>, checked by hand (CdiNames.isUuid): every prepare of a GPU checks one.
    static final String GPU_UUID = "GPU-" + CdiNames.UID;
    // Current drivers name MIG devices MIG-<uuid>; drivers before R470 used
    // MIG-GPU-<uuid>/<gi>/<ci>.
    static final Pattern MIG_UUID =
        Pattern.compile(
            "MIG-(GPU-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(/[0-9]+/[0-9]+)?");

    // 254 and 255 are /dev/nvidia-modeset and /dev/nvidiactl on the same major.
    static final int MAX_GPU_MINOR = 253;
    // Linux minor numbers have 20 bits.
    static final int MAX_MINOR = (1 << 20) - 1;

    private Checks() {}

    static void requireGpuMinor(int minor, String what) {
      if (minor < 0 || minor > MAX_GPU_MINOR) {
        throw new IllegalArgumentException(
            what + " must be 0.." + MAX_GPU_MINOR + ", got " + minor);
      }
    }

    static void requireCapMinor(int minor, String what) {
      if (minor < 0 || minor > MAX_MINOR) {
        throw new IllegalArgumentException(what + " out of range: " + minor);
      }
    }

    static void requireGpuUuid(String uuid, String what) {
      if (uuid == null || !uuid.startsWith("GPU-") || !CdiNames.isUuid(uuid, 4)) {
        throw new IllegalArgumentException("invalid " + what + " " + CdiNames.quote(uuid));
      }
    }

    static void requireUuid(String uuid, Pattern pattern, String what) {
      if (uuid == null || !pattern.matcher(uuid).matches()) {
        throw new IllegalArgumentException("invalid " + what + " " + CdiNames.quote(uuid));
      }
    }

    static void requireSharing(Sharing sharing) {
      if (sharing == null) {
        throw new IllegalArgumentException("sharing must be given (use Sharing.exclusive())");
      }
    }
  }
}
