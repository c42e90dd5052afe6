package dev.gpudra.core.slice;

import java.util.Objects;

/**
 * How a node's inventory becomes ResourceSlices.
 *
 * @param driverName the DRA driver name, {@code gpu.gpudra.dev}
 * @param nodeName the node; also the pool name
 * @param dynamicMig publish every possible MIG placement as a partitionable device (instances are
 *     created at prepare time) instead of only the MIG devices that exist
 */
public record SliceMappingOptions(String driverName, String nodeName, boolean dynamicMig) {
  public SliceMappingOptions {
    Objects.requireNonNull(driverName, "driverName");
    Objects.requireNonNull(nodeName, "nodeName");
    if (nodeName.isBlank()) {
      throw new IllegalArgumentException("nodeName must not be blank");
    }
  }
}
