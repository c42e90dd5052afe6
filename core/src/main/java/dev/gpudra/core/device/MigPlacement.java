package dev.gpudra.core.device;

/**
 * Where a MIG GPU instance sits on its GPU: the first memory slice it occupies and how many
 * consecutive slices it spans. Two placements on one GPU conflict exactly when their slice ranges
 * overlap.
 */
public record MigPlacement(int start, int size) {
  public MigPlacement {
    if (start < 0) {
      throw new IllegalArgumentException("placement start must be >= 0, got " + start);
    }
    if (size < 1) {
      throw new IllegalArgumentException("placement size must be >= 1, got " + size);
    }
  }

  /** Exclusive end slice index. */
  public int end() {
    return start + size;
  }

  /** True when the two placements share at least one memory slice. */
  public boolean overlaps(MigPlacement other) {
    return start < other.end() && other.start < end();
  }
}
