package dev.gpudra.cli;

import dev.gpudra.core.device.DeviceFault;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.nvml.NvmlDeviceDiscovery;
import dev.gpudra.nvml.NvmlException;
import dev.gpudra.nvml.NvmlLibraryLoader;
import dev.gpudra.nvml.NvmlLibraryNotFoundException;
import dev.gpudra.nvml.NvmlSession;
import dev.gpudra.nvml.SysfsPciTopology;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** {@code gpudra discover}: prints the node's inventory as JSON on standard output. */
@Command(
    name = "discover",
    mixinStandardHelpOptions = true,
    description = "Print this node's GPUs, MIG profiles and MIG devices as JSON.")
final class DiscoverCommand implements Callable<Integer> {

  /** Environment variable of {@code --sysfs-root}, named like the kubelet plugin's key. */
  static final String SYSFS_ROOT_ENV = "GPUDRA_SYSFS_ROOT";

  @Spec CommandSpec spec;

  @Option(
      names = "--driver-root",
      defaultValue = "${env:" + NvmlLibraryLoader.DRIVER_ROOT_ENV + ":-/}",
      description = "Root the NVIDIA driver is installed under (env ${DEFAULT-VALUE}).")
  Path driverRoot;

  @Option(
      names = "--library",
      defaultValue = "${env:" + NvmlLibraryLoader.LIBRARY_ENV + "}",
      description = "Path of libnvidia-ml.so.1; overrides --driver-root.")
  Path library;

  @Option(
      names = "--sysfs-root",
      defaultValue = "${env:" + SYSFS_ROOT_ENV + ":-/sys}",
      description =
          "The host's sysfs, for each GPU's PCIe root and NUMA node (env "
              + SYSFS_ROOT_ENV
              + ", default /sys).")
  Path sysfsRoot;

  /** Output formats. */
  enum Output {
    json,
    table
  }

  @Option(
      names = {"-o", "--output"},
      defaultValue = "json",
      description = "Output format: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Output output;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    NodeInventory inventory;
    try {
      NvmlLibraryLoader loader = new NvmlLibraryLoader(driverRoot, Optional.ofNullable(library));
      try (NvmlSession session = NvmlSession.open(loader.load())) {
        inventory =
            NvmlDeviceDiscovery.discover(
                session,
                new SysfsPciTopology(sysfsRoot, warning -> err.println("gpudra: " + warning)));
      }
    } catch (NvmlLibraryNotFoundException e) {
      err.println("gpudra: " + e.getMessage());
      return GpudraCli.EXIT_LIBRARY_NOT_FOUND;
    } catch (NvmlException e) {
      err.println("gpudra: " + e.getMessage());
      return GpudraCli.EXIT_FAILED;
    }
    if (output == Output.table) {
      out.print(InventoryTable.format(inventory));
    } else {
      JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
      out.println(json.writeValueAsString(inventory));
    }
    out.flush();
    for (DeviceFault fault : inventory.faults()) {
      err.printf(
          "gpudra: GPU %d could not be read: %s: %s%n",
          fault.index(), fault.function(), fault.error());
    }
    err.flush();
    return inventory.faults().isEmpty() ? 0 : GpudraCli.EXIT_SOME_GPUS_FAILED;
  }
}
