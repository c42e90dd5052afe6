package dev.gpudra.nvml;

import dev.gpudra.core.device.DeviceFault;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.nvml.NvmlInventoryMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a node's GPUs through an open {@link NvmlSession} into the device model.
 *
 * <p>One GPU failing (lost from the bus, a query refused) never hides the others: it becomes a
 * {@link DeviceFault} with its index, the failing call and NVML's message, and discovery goes on.
 * Failures of node-wide calls (driver version, device count) still throw: without them there is no
 * inventory to speak of.
 */
public final class NvmlDeviceDiscovery {

  private NvmlDeviceDiscovery() {}

  /** Discovers every GPU the driver reports, without their place in the PCI tree. */
  public static NodeInventory discover(NvmlSession session) {
    return discover(session, PciTopologySource.NONE);
  }

  /**
   * Discovers every GPU the driver reports, each with its PCIe root and NUMA node from {@code
   * topology} (unknown values stay unknown; they never make a GPU a fault).
   */
  public static NodeInventory discover(NvmlSession session, PciTopologySource topology) {
    String driverVersion = session.driverVersion();
    String cudaDriverVersion = NvmlInventoryMapper.cudaVersion(session.cudaDriverVersion());
    int count = session.deviceCount();
    List<Gpu> gpus = new ArrayList<>();
    List<DeviceFault> faults = new ArrayList<>();
    for (int index = 0; index < count; index++) {
      try {
        Gpu gpu = NvmlInventoryMapper.toGpu(session.readGpu(index));
        gpus.add(gpu.withPciTopology(topology.topology(gpu.pciBusId())));
      } catch (NvmlException e) {
        faults.add(new DeviceFault(index, e.function(), e.nvmlMessage()));
      } catch (IllegalArgumentException e) {
        faults.add(new DeviceFault(index, "mapping", e.getMessage()));
      }
    }
    return new NodeInventory(driverVersion, cudaDriverVersion, gpus, faults);
  }
}
