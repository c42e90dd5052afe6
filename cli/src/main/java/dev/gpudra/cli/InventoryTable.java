package dev.gpudra.cli;

import dev.gpudra.core.device.DeviceFault;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The inventory as a table for people: one line per GPU, then one per MIG device and fault. */
final class InventoryTable {

  private static final double GIB = 1024.0 * 1024.0 * 1024.0;

  private InventoryTable() {}

  static String format(NodeInventory inventory) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "driver %s, CUDA %s, %d GPUs%s%n",
            inventory.driverVersion(),
            inventory.cudaDriverVersion(),
            inventory.gpus().size(),
            inventory.faults().isEmpty() ? "" : ", " + inventory.faults().size() + " unreadable"));
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "GPU", "MINOR", "UUID", "PRODUCT", "PCI", "PCIE ROOT", "NUMA", "MEMORY", "MIG"
        });
    for (Gpu gpu : inventory.gpus()) {
      rows.add(
          new String[] {
            Integer.toString(gpu.index()),
            Integer.toString(gpu.minor()),
            gpu.uuid(),
            gpu.productName(),
            gpu.pciBusId(),
            gpu.pciTopology().pcieRoot().orElse("-"),
            gpu.pciTopology().numaNode().isPresent()
                ? Integer.toString(gpu.pciTopology().numaNode().getAsInt())
                : "-",
            gib(gpu.memoryBytes()),
            mig(gpu)
          });
      for (MigDevice mig : gpu.migDevices()) {
        rows.add(
            new String[] {
              "",
              "",
              mig.uuid(),
              "  "
                  + mig.profileName()
                  + " (GI "
                  + mig.gpuInstanceId()
                  + ", CI "
                  + mig.computeInstanceId()
                  + ")",
              slices(mig),
              "",
              "",
              gib(mig.memoryBytes()),
              ""
            });
      }
    }
    appendAligned(out, rows);
    for (DeviceFault fault : inventory.faults()) {
      out.append(
          String.format(
              "GPU %d unreadable: %s: %s%n", fault.index(), fault.function(), fault.error()));
    }
    return out.toString();
  }

  private static String slices(MigDevice mig) {
    int first = mig.placement().start();
    int last = mig.placement().end() - 1;
    return first == last ? "slice " + first : "slices " + first + "-" + last;
  }

  private static String mig(Gpu gpu) {
    MigMode mode = gpu.migMode();
    if (!mode.capable()) {
      return "-";
    }
    String state = mode.current() ? "on" : "off";
    if (mode.changePending()) {
      state += " (" + (mode.pending() ? "on" : "off") + " after reset)";
    }
    return state
        + ", "
        + gpu.migProfiles().size()
        + (gpu.migProfiles().size() == 1 ? " profile: " : " profiles: ")
        + gpu.migProfiles().stream().map(p -> p.name()).collect(Collectors.joining(" "));
  }

  private static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.1f GiB", bytes / GIB);
  }

  private static void appendAligned(StringBuilder out, List<String[]> rows) {
    int columns = rows.getFirst().length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        line.append(c == columns - 1 ? row[c] : String.format("%-" + widths[c] + "s  ", row[c]));
      }
      out.append(line.toString().stripTrailing()).append(System.lineSeparator());
    }
  }
}
