package dev.gpudra.nvml;

/** The {@code nvmlEventType*} bits of nvml.h 12.4 that health monitoring registers for. */
public final class NvmlEventTypes {

  public static final long SINGLE_BIT_ECC_ERROR = 0x1L;
  public static final long DOUBLE_BIT_ECC_ERROR = 0x2L;
  public static final long XID_CRITICAL_ERROR = 0x8L;

  /** Newer drivers (565+, CUDA 13 headers): the GPU became unavailable. */
  public static final long GPU_UNAVAILABLE_ERROR = 0x4000L;

  /** Newer drivers: the recommended recovery action changed. */
  public static final long GPU_RECOVERY_ACTION = 0x8000L;

  /**
   * What health monitoring asks for: XIDs, ECC errors, and the newer fault types where the driver
   * offers them. Registration keeps only the bits {@code nvmlDeviceGetSupportedEventTypes} reports,
   * so older drivers are never asked for types they do not know.
   */
  public static final long HEALTH =
      XID_CRITICAL_ERROR
          | DOUBLE_BIT_ECC_ERROR
          | SINGLE_BIT_ECC_ERROR
          | GPU_UNAVAILABLE_ERROR
          | GPU_RECOVERY_ACTION;

  private NvmlEventTypes() {}
}
