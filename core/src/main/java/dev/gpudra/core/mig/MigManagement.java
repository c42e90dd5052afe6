package dev.gpudra.core.mig;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.NodeInventory;
import java.util.List;

/**
 * Whether the plugin manages MIG on a GPU, and so how the GPU is offered: the one decision the
 * slice mapper, the prepare planner and start-up recovery share, so that what is published, what
 * can be prepared and what recovery may destroy always agree (pure).
 *
 * <p>With dynamic MIG the plugin manages every GPU that supports MIG and has MIG profiles; it
 * creates and destroys the GPU instances of such a GPU while MIG mode is on. It does not switch MIG
 * mode, so a GPU is offered as its mode is:
 *
 * <ul>
 *   <li>{@link Offer#PLACEMENTS}: managed and MIG on; every placement of every profile, created at
 *       prepare time. Only these GPUs' instances belong to the plugin.
 *   <li>{@link Offer#EXISTING_MIG_DEVICES}: MIG on but not managed (static MIG); the MIG devices
 *       that exist.
 *   <li>{@link Offer#WHOLE}: MIG off (or no MIG support); the full GPU.
 * </ul>
 *
 * @param dynamicMig whether the plugin creates MIG devices on demand
 */
public record MigManagement(boolean dynamicMig) {

  /** How one GPU is offered in the node's slices. */
  public enum Offer {
    /** The full GPU. */
    WHOLE,
    /** Every MIG placement, created when a claim is prepared. */
    PLACEMENTS,
    /** The MIG devices that exist. */
    EXISTING_MIG_DEVICES
  }

  /**
   * Whether the plugin creates the MIG devices of {@code gpu}: a MIG device name on it is then a
   * placement to create, never an existing device (whatever its mode: with MIG off such a name can
   * only come from an allocation made before MIG was turned off, which prepare refuses).
   */
  public boolean managesMig(Gpu gpu) {
    return dynamicMig && gpu.migMode().capable() && !gpu.migProfiles().isEmpty();
  }

  /** How {@code gpu} is offered. */
  public Offer offer(Gpu gpu) {
    if (!gpu.migMode().current()) {
      return Offer.WHOLE;
    }
    return managesMig(gpu) ? Offer.PLACEMENTS : Offer.EXISTING_MIG_DEVICES;
  }

  /**
   * The GPUs whose MIG instances the plugin owns: those offered as placements. An instance on them
   * that no prepared claim holds may be destroyed; other GPUs are never touched.
   */
  public List<Gpu> ownedGpus(NodeInventory inventory) {
    return inventory.gpus().stream().filter(g -> offer(g) == Offer.PLACEMENTS).toList();
  }
}
