package dev.gpudra.core.slice;

import dev.gpudra.core.mig.MigManagement;
import java.util.Objects;

/**
 * How a node's inventory becomes ResourceSlices.
 *
 * @param driverName the DRA driver name, {@code gpu.gpudra.dev}
 * @param nodeName the node; also the pool name
 * @param dynamicMig publish every possible MIG placement of a GPU the plugin manages as a
 *     partitionable device (instances are created at prepare time) instead of only the MIG devices
 *     that exist; {@link MigManagement} decides per GPU
 * @param fractionalGpus publish each GPU offered whole as one shareable device ({@code
 *     allowMultipleAllocations}) with the consumable capacities of {@link FractionalCapacity}
 */
public record SliceMappingOptions(
    String driverName, String nodeName, boolean dynamicMig, boolean fractionalGpus) {

  /** Options without fractional GPUs. */
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

  /** The MIG management policy these options publish for. */
  public MigManagement migManagement() {
    return new MigManagement(dynamicMig);
  }
}
