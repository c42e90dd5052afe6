package dev.gpudra.core.device;

/**
 * The hardware a MIG GPU instance takes from its GPU. A full GPU owns all of it; the scheduler must
 * never hand out two instances (or an instance and the full GPU) whose sums exceed the GPU's
 * totals, which is why these numbers become shared counters in ResourceSlices.
 *
 * @param memorySlices memory slices the placement spans (the placement size, not the compute size)
 * @param multiprocessors streaming multiprocessors
 * @param copyEngines copy engines
 * @param decoders video decoders (NVDEC)
 * @param encoders video encoders (NVENC)
 * @param jpegEngines JPEG decoders (NVJPG)
 * @param ofaEngines optical flow accelerators
 */
public record MigCounters(
    int memorySlices,
    int multiprocessors,
    int copyEngines,
    int decoders,
    int encoders,
    int jpegEngines,
    int ofaEngines) {

  public MigCounters {
    requireNonNegative("memorySlices", memorySlices);
    requireNonNegative("multiprocessors", multiprocessors);
    requireNonNegative("copyEngines", copyEngines);
    requireNonNegative("decoders", decoders);
    requireNonNegative("encoders", encoders);
    requireNonNegative("jpegEngines", jpegEngines);
    requireNonNegative("ofaEngines", ofaEngines);
  }

  private static void requireNonNegative(String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + value);
    }
  }
}
