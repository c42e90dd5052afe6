package dev.gpudra.nvml;

import com.sun.jna.Structure;

/**
 * Base of every NVML structure mapping. It exposes field offsets so a layout test can compare them
 * with what the C compiler computes from {@code nvml.h}: a structure that drifts from the header
 * would otherwise corrupt memory silently.
 */
public abstract class NvmlStructure extends Structure {

  /** Byte offset of the named field, as JNA lays the structure out. */
  public final int offsetOf(String field) {
    return fieldOffset(field);
  }
}
