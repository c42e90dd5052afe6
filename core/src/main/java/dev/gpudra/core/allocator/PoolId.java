package dev.gpudra.core.allocator;

import java.util.Comparator;
import java.util.Objects;

/**
 * Identifies a resource pool: devices of one driver published under one pool name.
 *
 * @param driver the DRA driver name
 * @param pool the pool name
 */
public record PoolId(String driver, String pool) implements Comparable<PoolId> {
  private static final Comparator<PoolId> ORDER =
      Comparator.comparing(PoolId::driver).thenComparing(PoolId::pool);

  /** Validates. */
  public PoolId {
    Objects.requireNonNull(driver, "driver");
    Objects.requireNonNull(pool, "pool");
  }

  /** Pools are searched in (driver, pool name) order, so drivers steer first-fit by naming. */
  @Override
  public int compareTo(PoolId other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return driver + "/" + pool;
  }
}
