package dev.gpudra.nvml;

import java.util.Objects;

/**
 * An NVML call returned an error. Carries the C function that failed, NVML's return code and NVML's
 * own error string, so a log line says exactly what the driver said.
 */
public class NvmlException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String function;
  private final int code;
  private final String nvmlMessage;

  public NvmlException(String function, int code, String nvmlMessage) {
    super(function + " failed: " + nvmlMessage + " (NVML error " + code + ")");
    this.function = Objects.requireNonNull(function, "function");
    this.code = code;
    this.nvmlMessage = Objects.requireNonNull(nvmlMessage, "nvmlMessage");
  }

  /**
   * The exception for a failed call: {@link NvmlGpuLostException} when the GPU is lost or needs a
   * reset, a plain {@code NvmlException} otherwise.
   */
  public static NvmlException of(String function, int code, String nvmlMessage) {
    if (code == NvmlReturn.ERROR_GPU_IS_LOST || code == NvmlReturn.ERROR_RESET_REQUIRED) {
      return new NvmlGpuLostException(function, code, nvmlMessage);
    }
    return new NvmlException(function, code, nvmlMessage);
  }

  /** The NVML C function that failed, e.g. {@code nvmlDeviceGetUUID}. */
  public String function() {
    return function;
  }

  /** The {@code nvmlReturn_t} value. */
  public int code() {
    return code;
  }

  /** NVML's {@code nvmlErrorString} for {@link #code()}. */
  public String nvmlMessage() {
    return nvmlMessage;
  }

  /** True for {@code NVML_ERROR_GPU_IS_LOST}: the GPU fell off the bus. */
  public boolean gpuIsLost() {
    return code == NvmlReturn.ERROR_GPU_IS_LOST;
  }

  /** True for {@code NVML_ERROR_NOT_SUPPORTED}. */
  public boolean notSupported() {
    return code == NvmlReturn.ERROR_NOT_SUPPORTED;
  }
}
