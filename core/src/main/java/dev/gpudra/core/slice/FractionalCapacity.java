package dev.gpudra.core.slice;

import dev.gpudra.core.device.Gpu;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicyBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequestPolicyRangeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacityBuilder;
import java.util.Map;

/**
 * The consumable capacities of a full GPU published for fractional use ({@code
 * allowMultipleAllocations: true}): every claim placed on it takes a share of its {@code memory}
 * (bytes, in whole GiB, default 1Gi) and its {@code cores} (percent of its multiprocessors, 1..100,
 * default 10), and the scheduler keeps the shares' sums within the GPU's.
 *
 * <p>Every capacity carries a request policy with a default: on a multi-allocatable device a
 * request that omits a capacity without a default would consume all of it, making the share
 * exclusive by accident. A whole GPU is the share asking for all of both.
 *
 * <p>At prepare, the claim's consumed amounts become its MPS limits: {@code memory} the pinned
 * device memory limit, {@code cores} the active thread percentage.
 */
public final class FractionalCapacity {

  /** The memory capacity's name. */
  public static final String MEMORY = "memory";

  /** The compute capacity's name. */
  public static final String CORES = "cores";

  /** Memory is requested in whole GiB. */
  public static final long MEMORY_STEP_BYTES = 1L << 30;

  /** The compute share a claim gets when it does not ask, in percent. */
  public static final int DEFAULT_CORES = 10;

  private FractionalCapacity() {}

  /**
   * The capacities of {@code gpu} as a shareable device.
   *
   * @throws IllegalArgumentException for a GPU with less than 1 GiB, which cannot be shared in GiB
   */
  public static Map<String, DeviceCapacity> of(Gpu gpu) {
    if (gpu.memoryBytes() < MEMORY_STEP_BYTES) {
      throw new IllegalArgumentException(
          "GPU " + gpu.minor() + " has less than 1Gi of memory and cannot be shared by GiB");
    }
    return of(gpu.memoryBytes());
  }

  /** The capacities of a shareable GPU with {@code memoryBytes} (at least 1 GiB) of memory. */
  public static Map<String, DeviceCapacity> of(long memoryBytes) {
    long wholeGib = memoryBytes / MEMORY_STEP_BYTES;
    if (wholeGib < 1) {
      throw new IllegalArgumentException("a shareable GPU needs at least 1Gi, got " + memoryBytes);
    }
    return Map.of(
        MEMORY,
        policy(
            Quantities.bytes(memoryBytes),
            Quantities.bytes(MEMORY_STEP_BYTES),
            Quantities.bytes(MEMORY_STEP_BYTES),
            Quantities.bytes(wholeGib * MEMORY_STEP_BYTES),
            Quantities.bytes(MEMORY_STEP_BYTES)),
        CORES,
        policy(
            Quantities.count(100),
            Quantities.count(DEFAULT_CORES),
            Quantities.count(1),
            Quantities.count(100),
            Quantities.count(1)));
  }

  private static DeviceCapacity policy(
      Quantity value, Quantity defaultValue, Quantity min, Quantity max, Quantity step) {
    return new DeviceCapacityBuilder()
        .withValue(value)
        .withRequestPolicy(
            new CapacityRequestPolicyBuilder()
                .withDefault(defaultValue)
                .withValidRange(
                    new CapacityRequestPolicyRangeBuilder()
                        .withMin(min)
                        .withMax(max)
                        .withStep(step)
                        .build())
                .build())
        .build();
  }
}
