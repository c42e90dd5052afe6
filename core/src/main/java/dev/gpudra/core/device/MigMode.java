package dev.gpudra.core.device;

/**
 * A GPU's MIG mode. A change of mode becomes current only after a GPU reset, so the pending mode
 * can differ from the current one.
 *
 * @param capable whether the GPU supports MIG at all
 * @param current MIG enabled now
 * @param pending MIG enabled after the next reset
 */
public record MigMode(boolean capable, boolean current, boolean pending) {

  /** The mode of a GPU without MIG support. */
  public static final MigMode NOT_CAPABLE = new MigMode(false, false, false);

  public MigMode {
    if (!capable && (current || pending)) {
      throw new IllegalArgumentException("a GPU without MIG support cannot have MIG enabled");
    }
  }

  /** True when the current and pending modes differ, i.e. a reset is outstanding. */
  public boolean changePending() {
    return current != pending;
  }
}
