package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.Sharing;
import dev.gpudra.core.config.SharingConfig;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.slice.FractionalCapacity;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Map;

/**
 * Turns a share's {@code consumedCapacity} (what the scheduler counted against the GPU) into the
 * limits its containers get: {@code memory} becomes the pinned device memory limit, {@code cores}
 * the active thread percentage. What only the node can check (the amounts within the GPU's) is
 * checked here, naming the field; the scheduler's request policy already rounded them.
 */
final class ShareLimits {

  private ShareLimits() {}

  /**
   * The sharing of share {@code shareId} of {@code gpu}.
   *
   * @throws PrepareRefusedException naming the capacity that is missing or out of range
   */
  static Sharing.Fractional of(
      ClaimRef ref, String deviceName, String shareId, Map<String, Quantity> consumed, Gpu gpu)
      throws PrepareRefusedException {
    BigDecimal memory = amount(ref, deviceName, consumed, FractionalCapacity.MEMORY);
    BigDecimal cores = amount(ref, deviceName, consumed, FractionalCapacity.CORES);
    if (memory.compareTo(BigDecimal.valueOf(SharingConfig.Mps.MIN_PINNED_MEMORY_BYTES)) < 0
        || memory.compareTo(BigDecimal.valueOf(gpu.memoryBytes())) > 0) {
      throw refused(
          ref,
          "consumedCapacity.memory of device "
              + deviceName
              + " is "
              + consumed.get(FractionalCapacity.MEMORY)
              + ", outside 1Mi.."
              + gpu.memoryBytes()
              + " bytes (the GPU's memory)");
    }
    if (cores.compareTo(BigDecimal.ONE) < 0 || cores.compareTo(BigDecimal.valueOf(100)) > 0) {
      throw refused(
          ref,
          "consumedCapacity.cores of device "
              + deviceName
              + " is "
              + consumed.get(FractionalCapacity.CORES)
              + ", outside 1..100 percent");
    }
    return new Sharing.Fractional(shareId, memory.longValue(), cores.intValue());
  }

  private static BigDecimal amount(
      ClaimRef ref, String deviceName, Map<String, Quantity> consumed, String name)
      throws PrepareRefusedException {
    Quantity q = consumed.get(name);
    if (q == null) {
      throw refused(
          ref,
          "share of device "
              + deviceName
              + " has no consumedCapacity."
              + name
              + "; was the device published without fractional capacities?");
    }
    try {
      return Quantity.getAmountInBytes(q);
    } catch (IllegalArgumentException e) {
      throw refused(
          ref,
          "consumedCapacity." + name + " of device " + deviceName + " is not a quantity: " + q);
    }
  }

  private static PrepareRefusedException refused(ClaimRef ref, String reason) {
    return new PrepareRefusedException("claim " + ref + ": " + reason);
  }
}
