package dev.gpudra.core.health;

import java.util.Locale;

/** How an XID affects a GPU; decides its taint and when the taint goes away. */
public enum XidClass {
  /** The GPU or node is unusable until the GPU is reset or the node rebooted: sticky. */
  FATAL(true),
  /** The GPU needs a reset; recovers on a seen reset or after the quiet period. */
  NEEDS_RESET(true),
  /** The application hit a fault; the GPU itself is fine (informational taint). */
  APPLICATION(false),
  /** No action needed, or an admin chose to ignore the XID (informational taint). */
  INFORMATIONAL(false);

  private final boolean unhealthy;

  XidClass(boolean unhealthy) {
    this.unhealthy = unhealthy;
  }

  /** True when the GPU must take no new work. */
  public boolean unhealthy() {
    return unhealthy;
  }

  /** Lower-case name for metric labels, e.g. {@code needs_reset}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
