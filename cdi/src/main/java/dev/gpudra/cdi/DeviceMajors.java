package dev.gpudra.cdi;

import java.util.Map;

/**
 * Major numbers of the NVIDIA character devices on a node, as the kernel registered them.
 *
 * @param nvidia the GPU and control nodes ({@code nvidia-frontend}, 195 on every driver so far)
 * @param nvidiaUvm {@code /dev/nvidia-uvm} and {@code /dev/nvidia-uvm-tools} (dynamic)
 * @param nvidiaCaps {@code /dev/nvidia-caps/*} (dynamic); 0 when the node has no such device, i.e.
 *     no MIG support
 */
public record DeviceMajors(int nvidia, int nvidiaUvm, int nvidiaCaps) {

  /** Requires positive majors for the two devices every CUDA container needs. */
  public DeviceMajors {
    if (nvidia <= 0 || nvidiaUvm <= 0 || nvidiaCaps < 0) {
      throw new IllegalArgumentException(
          "invalid device majors nvidia="
              + nvidia
              + " nvidia-uvm="
              + nvidiaUvm
              + " nvidia-caps="
              + nvidiaCaps);
    }
  }

  /** True when MIG capability devices can be handed out on this node. */
  public boolean hasCaps() {
    return nvidiaCaps > 0;
  }

  /**
   * Picks our majors out of the character devices listed in {@code /proc/devices}.
   *
   * @throws IllegalStateException when the {@code nvidia} or {@code nvidia-uvm} module is not
   *     loaded: a spec written then would lack devices every CUDA program opens
   */
  public static DeviceMajors fromCharacterDevices(Map<String, Integer> charDevices) {
    Integer nvidia = charDevices.get("nvidia-frontend");
    if (nvidia == null) {
      nvidia = charDevices.get("nvidia");
    }
    Integer uvm = charDevices.get("nvidia-uvm");
    if (nvidia == null) {
      throw new IllegalStateException(
          "no 'nvidia-frontend' (or 'nvidia') character device in /proc/devices: "
              + "the NVIDIA kernel module is not loaded");
    }
    if (uvm == null) {
      throw new IllegalStateException(
          "no 'nvidia-uvm' character device in /proc/devices: the nvidia-uvm kernel module is "
              + "not loaded (load it, e.g. with nvidia-modprobe -u -c=0)");
    }
    return new DeviceMajors(nvidia, uvm, charDevices.getOrDefault("nvidia-caps", 0));
  }
}
