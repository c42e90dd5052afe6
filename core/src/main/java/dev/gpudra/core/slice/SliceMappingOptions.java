package dev.gpudra.core.slice;

import java.util.Objects;

/**
 * How a node's inventory becomes ResourceSlices.
 *
 * @param driverName the DRA driver name, {@code gpu.gpudra.dev}
 * @param nodeName the node; also the pool name
 * @param dynamicMig publish every possible MIG placement as a partitionable device (instances are
 *     created at prepare time) instead of only the MIG devices that exist
 * @param switchesMigMode with {@code dynamicMig}: the plugin turns MIG mode on and off at prepare
 *     time, so a GPU that changes MIG mode without a reset (Hopper and newer) is offered whole and
 *     as placements at once, whatever its current mode. The kubelet plugin does not switch MIG mode
 *     yet and maps with {@code false}: a GPU is then offered as its mode is (MIG on: placements;
 *     MIG off: the whole GPU), so everything published can be prepared
 */
public record SliceMappingOptions(
    String driverName, String nodeName, boolean dynamicMig, boolean switchesMigMode) {

  /** Options of a plugin that does not switch MIG mode. */
  public SliceMappingOptions(String driverName, String nodeName, boolean dynamicMig) {
    this(driverName, nodeName, dynamicMig, false);
  }

  public SliceMappingOptions {
    Objects.requireNonNull(driverName, "driverName");
    Objects.requireNonNull(nodeName, "nodeName");
    if (nodeName.isBlank()) {
      throw new IllegalArgumentException("nodeName must not be blank");
    }
  }
}
