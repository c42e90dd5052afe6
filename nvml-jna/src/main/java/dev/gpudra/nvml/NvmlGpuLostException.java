package dev.gpudra.nvml;

/**
 * An NVML call found the GPU gone: {@code NVML_ERROR_GPU_IS_LOST} (it fell off the bus) or {@code
 * NVML_ERROR_RESET_REQUIRED}. Distinct from other NVML errors because the cure is not a retry but
 * taking the GPU out of service until it answers again (after a reset or a reboot).
 */
public final class NvmlGpuLostException extends NvmlException {

  private static final long serialVersionUID = 1L;

  public NvmlGpuLostException(String function, int code, String nvmlMessage) {
    super(function, code, nvmlMessage);
  }

  /** True when the driver asks for a reset rather than reporting the GPU as off the bus. */
  public boolean resetRequired() {
    return code() == NvmlReturn.ERROR_RESET_REQUIRED;
  }
}
