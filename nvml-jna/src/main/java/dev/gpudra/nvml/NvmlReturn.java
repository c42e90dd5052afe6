package dev.gpudra.nvml;

/** The {@code nvmlReturn_t} values the binding reacts to; the rest pass through as numbers. */
public final class NvmlReturn {

  public static final int SUCCESS = 0;
  public static final int ERROR_UNINITIALIZED = 1;
  public static final int ERROR_INVALID_ARGUMENT = 2;
  public static final int ERROR_NOT_SUPPORTED = 3;
  public static final int ERROR_NO_PERMISSION = 4;
  public static final int ERROR_NOT_FOUND = 6;
  public static final int ERROR_INSUFFICIENT_SIZE = 7;
  public static final int ERROR_DRIVER_NOT_LOADED = 9;
  public static final int ERROR_TIMEOUT = 10;
  public static final int ERROR_FUNCTION_NOT_FOUND = 13;
  public static final int ERROR_GPU_IS_LOST = 15;
  public static final int ERROR_RESET_REQUIRED = 16;
  public static final int ERROR_INSUFFICIENT_RESOURCES = 23;
  public static final int ERROR_UNKNOWN = 999;

  private NvmlReturn() {}
}
