package dev.gpudra.testkit.nvml;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** NVML error names as the mock library accepts them in profiles and GPUDRA_MOCK_NVML_FAIL_INIT. */
final class NvmlErrors {
  /** The names of {@code nvmlReturn_t} failures, without the {@code NVML_ERROR_} prefix. */
  static final List<String> NAMES =
      List.of(
          "UNINITIALIZED",
          "INVALID_ARGUMENT",
          "NOT_SUPPORTED",
          "NO_PERMISSION",
          "ALREADY_INITIALIZED",
          "NOT_FOUND",
          "INSUFFICIENT_SIZE",
          "INSUFFICIENT_POWER",
          "DRIVER_NOT_LOADED",
          "TIMEOUT",
          "IRQ_ISSUE",
          "LIBRARY_NOT_FOUND",
          "FUNCTION_NOT_FOUND",
          "CORRUPTED_INFOROM",
          "GPU_IS_LOST",
          "RESET_REQUIRED",
          "OPERATING_SYSTEM",
          "LIB_RM_VERSION_MISMATCH",
          "IN_USE",
          "MEMORY",
          "NO_DATA",
          "VGPU_ECC_NOT_SUPPORTED",
          "INSUFFICIENT_RESOURCES",
          "FREQ_NOT_SUPPORTED",
          "ARGUMENT_VERSION_MISMATCH",
          "DEPRECATED",
          "NOT_READY",
          "GPU_NOT_FOUND",
          "INVALID_STATE",
          "UNKNOWN");

  private NvmlErrors() {}

  /**
   * {@code NVML_ERROR_X} for "NVML_ERROR_X", "ERROR_X" or "X" in any case; empty for unknown names.
   */
  static Optional<String> canonical(String name) {
    String bare = name.toUpperCase(Locale.ROOT);
    if (bare.startsWith("NVML_")) {
      bare = bare.substring(5);
    }
    if (bare.startsWith("ERROR_")) {
      bare = bare.substring(6);
    }
    return NAMES.contains(bare) ? Optional.of("NVML_ERROR_" + bare) : Optional.empty();
  }
}
