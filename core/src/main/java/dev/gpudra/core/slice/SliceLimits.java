package dev.gpudra.core.slice;

/** Validation limits of {@code resource.k8s.io/v1} ResourceSlices that shape how we split. */
public final class SliceLimits {

  /** Devices per slice. */
  public static final int MAX_DEVICES = 128;

  /** Devices per slice when any device uses taints, counters or list attributes. */
  public static final int MAX_DEVICES_WITH_ADVANCED_FEATURES = 64;

  /** Attributes plus capacities per device. */
  public static final int MAX_ATTRIBUTES_AND_CAPACITIES = 32;

  /** Counter sets per slice. */
  public static final int MAX_COUNTER_SETS = 8;

  /** Counters per counter set, and per consumption. */
  public static final int MAX_COUNTERS_PER_SET = 32;

  /** Counter consumptions per device. */
  public static final int MAX_CONSUMPTIONS_PER_DEVICE = 2;

  /**
   * Bytes (UTF-8) of a string or version attribute: the API server measures Go strings, so a name
   * with non-ASCII characters reaches the limit with fewer characters.
   */
  public static final int MAX_ATTRIBUTE_LENGTH = 64;

  /** The length of {@code text} in UTF-8 bytes, as the API server counts it. */
  public static int utf8Length(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  private SliceLimits() {}
}
