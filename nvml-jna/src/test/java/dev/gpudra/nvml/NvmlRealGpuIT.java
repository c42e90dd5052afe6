package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.NodeInventory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Discovery against the real NVML and {@code /sys} of a GPU node. Skipped (not passed) where no
 * NVIDIA driver is installed or NVML does not initialise; point {@code GPUDRA_DRIVER_ROOT} at a
 * containerised driver if needed. Never changes the GPU's settings.
 */
@Tag("gpu")
class NvmlRealGpuIT {

  @Test
  void discoversTheNodesGpusThroughRealNvml() {
    NvmlLibraryLoader loader = NvmlLibraryLoader.fromEnv(System.getenv());
    if (loader.libraryFile().isPresent()) {
      abort("GPUDRA_NVML_LIBRARY is set; this test only runs against the installed driver");
    }
    NvmlLibrary nvml;
    try {
      nvml = loader.load();
    } catch (NvmlLibraryNotFoundException e) {
      abort("no NVIDIA driver on this machine: " + e.getMessage());
      return;
    }
    NodeInventory inventory;
    int deviceCount;
    List<String> sysfsWarnings = new ArrayList<>();
    try (NvmlSession session = NvmlSession.open(nvml)) {
      deviceCount = session.deviceCount();
      inventory =
          NvmlDeviceDiscovery.discover(
              session, new SysfsPciTopology(Path.of("/sys"), sysfsWarnings::add));
    } catch (NvmlException e) {
      abort("NVML does not initialise here: " + e.getMessage());
      return;
    }
    sysfsWarnings.forEach(w -> System.out.println("sysfs: " + w));
    System.out.printf(
        "real NVML: driver %s, CUDA %s, %d GPUs, %d faults%n",
        inventory.driverVersion(),
        inventory.cudaDriverVersion(),
        inventory.gpus().size(),
        inventory.faults().size());

    assertThat(inventory.driverVersion()).matches("\\d+\\.\\d+(\\.\\d+)?");
    assertThat(inventory.cudaDriverVersion()).matches("\\d+\\.\\d+");
    assertThat(inventory.gpus().size() + inventory.faults().size()).isEqualTo(deviceCount);
    for (Gpu gpu : inventory.gpus()) {
      System.out.printf(
          "  GPU %d minor %d %s %s %s (PCIe root %s, NUMA %s) MIG %s, %d profiles, %d MIG"
              + " devices%n",
          gpu.index(),
          gpu.minor(),
          gpu.uuid(),
          gpu.productName(),
          gpu.pciBusId(),
          gpu.pciTopology().pcieRoot().orElse("-"),
          gpu.pciTopology().numaNode(),
          gpu.migMode(),
          gpu.migProfiles().size(),
          gpu.migDevices().size());
      assertThat(gpu.uuid()).startsWith("GPU-");
      assertThat(gpu.memoryBytes()).isPositive();
      assertThat(gpu.pciBusId()).matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
      assertThat(gpu.cudaComputeCapability()).matches("\\d+\\.\\d+");
      if (gpu.pciTopology().pcieRoot().isEmpty()) {
        // A host whose sysfs does not show the GPU under a root complex (some hypervisors' virtual
        // PCI buses) may lack the root, but never silently.
        assertThat(sysfsWarnings).anyMatch(w -> w.contains(gpu.pciBusId()));
      }
      for (MigDevice mig : gpu.migDevices()) {
        assertThat(mig.uuid()).startsWith("MIG-");
        assertThat(mig.parentUuid()).isEqualTo(gpu.uuid());
        assertThat(gpu.migProfiles()).anyMatch(p -> p.id() == mig.profileId());
      }
    }
  }
}
