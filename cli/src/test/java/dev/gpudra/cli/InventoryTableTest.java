package dev.gpudra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.DeviceFault;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.PciTopology;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class InventoryTableTest {

  private static final long GIB = 1024L * 1024 * 1024;

  @Test
  void listsGpusTheirMigDevicesAndFaults() {
    MigProfile threeG =
        new MigProfile(
            2,
            9,
            "3g.40gb",
            3,
            40192L << 20,
            new MigCounters(4, 42, 3, 2, 0, 0, 0),
            2,
            List.of(new MigPlacement(0, 4), new MigPlacement(4, 4)));
    MigDevice mig =
        new MigDevice(
            "MIG-1",
            "GPU-A",
            0,
            "3g.40gb",
            9,
            1,
            0,
            new MigPlacement(4, 4),
            40192L << 20,
            threeG.resources());
    Gpu a100 =
        new Gpu(
                0,
                0,
                "GPU-A",
                "NVIDIA A100-SXM4-80GB",
                "Nvidia",
                "Ampere",
                "8.0",
                80 * GIB,
                "0000:07:00.0",
                new MigMode(true, true, true),
                List.of(threeG),
                List.of(mig))
            .withPciTopology(new PciTopology(Optional.of("pci0000:00"), OptionalInt.of(0)));
    Gpu l4 =
        new Gpu(
            1,
            3,
            "GPU-B",
            "NVIDIA L4",
            "Nvidia",
            "Ada Lovelace",
            "8.9",
            22 * GIB,
            "0000:01:00.0",
            MigMode.NOT_CAPABLE,
            List.of(),
            List.of());
    Gpu pending =
        new Gpu(
            2,
            4,
            "GPU-C",
            "NVIDIA A100-SXM4-80GB",
            "Nvidia",
            "Ampere",
            "8.0",
            80 * GIB,
            "0000:0f:00.0",
            new MigMode(true, false, true),
            List.of(threeG),
            List.of());
    NodeInventory inventory =
        new NodeInventory(
            "550.54.15",
            "12.4",
            List.of(a100, l4, pending),
            List.of(new DeviceFault(3, "nvmlDeviceGetUUID", "GPU is lost")));

    List<String> lines = InventoryTable.format(inventory).lines().toList();

    assertThat(lines.getFirst()).isEqualTo("driver 550.54.15, CUDA 12.4, 3 GPUs, 1 unreadable");
    assertThat(lines.get(1))
        .startsWith("GPU")
        .contains("MINOR", "UUID", "PCI", "PCIE ROOT", "NUMA", "MIG");
    assertThat(lines.get(2))
        .contains(
            "GPU-A",
            "NVIDIA A100-SXM4-80GB",
            "0000:07:00.0  pci0000:00  0  ",
            "80.0 GiB",
            "on, 1 profile: 3g.40gb");
    assertThat(lines.get(3)).contains("MIG-1", "3g.40gb (GI 1, CI 0)", "slices 4-7", "39.3 GiB");
    assertThat(lines.get(4)).contains("GPU-B", "NVIDIA L4", "  -  ").endsWith("-");
    assertThat(lines.get(5)).contains("GPU-C", "off (on after reset)");
    assertThat(lines.get(6)).isEqualTo("GPU 3 unreadable: nvmlDeviceGetUUID: GPU is lost");
    assertThat(lines).hasSize(7);
  }
}
