package dev.gpudra.core.slice;

import io.fabric8.kubernetes.api.model.Quantity;

/**
 * Quantities in the canonical form the API server stores, so that a slice read back compares equal
 * to the one we built and an unchanged inventory causes no write.
 */
public final class Quantities {

  private static final String[] BINARY_SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

  private Quantities() {}

  /** Bytes with the largest binary suffix that keeps the number whole: 80 GiB is {@code 80Gi}. */
  public static Quantity bytes(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
    }
    long value = bytes;
    int suffix = 0;
    while (value != 0 && value % 1024 == 0 && suffix < BINARY_SUFFIXES.length - 1) {
      value /= 1024;
      suffix++;
    }
    return new Quantity(value + BINARY_SUFFIXES[suffix]);
  }

  /** A plain count. */
  public static Quantity count(long count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0, got " + count);
    }
    return new Quantity(Long.toString(count));
  }
}
