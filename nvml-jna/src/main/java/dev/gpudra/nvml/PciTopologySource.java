package dev.gpudra.nvml;

import dev.gpudra.core.device.PciTopology;

/** Where discovery learns each GPU's place in the PCI tree, which NVML does not tell. */
@FunctionalInterface
public interface PciTopologySource {

  /** Knows nothing: every GPU's topology is {@link PciTopology#UNKNOWN}. */
  PciTopologySource NONE = pciBusId -> PciTopology.UNKNOWN;

  /**
   * The topology of the PCI device {@code pciBusId} ({@code 0000:07:00.0}); what cannot be found is
   * left unknown rather than failing.
   */
  PciTopology topology(String pciBusId);
}
