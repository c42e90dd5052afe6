package dev.gpudra.testkit.nvml;

import dev.gpudra.testkit.nvml.MockProfile.ComputeInstance;
import dev.gpudra.testkit.nvml.MockProfile.Gpu;
import dev.gpudra.testkit.nvml.MockProfile.GpuInstance;
import dev.gpudra.testkit.nvml.MockProfile.GpuInstanceProfile;
import dev.gpudra.testkit.nvml.MockProfile.MigTable;
import dev.gpudra.testkit.nvml.MockProfile.PciAddress;
import dev.gpudra.testkit.nvml.MockProfile.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fields of a GPU (or of a model) while a profile is read: every line may override one, so they
 * stay mutable until {@link #build}. Not thread-safe.
 */
final class GpuDraft {
  private static final Pattern PCI =
      Pattern.compile("(\\p{XDigit}{8}):(\\p{XDigit}{2}):(\\p{XDigit}{2})\\.0");
  private static final Pattern UUID =
      Pattern.compile(
          "GPU-\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");
  private static final Pattern CC = Pattern.compile("(\\d+)\\.(\\d+)");
  private static final Pattern PCIE_ROOT = Pattern.compile("pci[0-9a-f]{4}:[0-9a-f]{2}");

  /** An initial GPU instance and its compute instances by id. */
  record InstanceDraft(
      int id,
      GpuInstanceProfile profile,
      Placement placement,
      Map<Integer, ComputeInstance> computeInstances) {}

  String name = "";
  String brand = "UNKNOWN";
  String architecture = "";
  int ccMajor;
  int ccMinor;
  long memoryMib;
  long reservedMib;
  String uuid = "";
  PciAddress pci = new PciAddress(0, 0, 0);
  int pciDeviceId;
  int pciSubsystemId;
  int minor;
  Optional<MigTable> migTable = Optional.empty();
  boolean migEnabled;
  boolean migPending;
  Optional<String> pcieRoot = Optional.empty();
  int numaNode = -1;
  Map<Integer, InstanceDraft> instances = new TreeMap<>();
  int declaredAt;

  /** A copy of the device fields (not the instances), as {@code model NAME} applies them. */
  GpuDraft copyFields() {
    GpuDraft c = new GpuDraft();
    c.name = name;
    c.brand = brand;
    c.architecture = architecture;
    c.ccMajor = ccMajor;
    c.ccMinor = ccMinor;
    c.memoryMib = memoryMib;
    c.reservedMib = reservedMib;
    c.uuid = uuid;
    c.pci = pci;
    c.pciDeviceId = pciDeviceId;
    c.pciSubsystemId = pciSubsystemId;
    c.minor = minor;
    c.migTable = migTable;
    c.migEnabled = migEnabled;
    c.migPending = migPending;
    c.pcieRoot = pcieRoot;
    c.numaNode = numaNode;
    return c;
  }

  /** Applies one field line. */
  void set(ProfileLine line, Map<String, MigTable> tables) {
    String key = line.keyword();
    switch (key) {
      case "name" -> {
        if (line.rest().isEmpty()) {
          throw line.fail(key, "missing value");
        }
        name = line.rest();
      }
      case "uuid" -> {
        if (!UUID.matcher(line.arg(1)).matches()) {
          throw line.fail(
              key,
              "'" + line.arg(1) + "' is not of the form GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
        }
        uuid = line.arg(1);
      }
      case "brand" -> brand = line.arg(1).toUpperCase(Locale.ROOT);
      case "architecture" -> architecture = line.arg(1).toUpperCase(Locale.ROOT);
      case "compute-capability" -> {
        Matcher m = CC.matcher(line.arg(1));
        if (!m.matches()) {
          throw line.fail(key, "expected MAJOR.MINOR, found '" + line.arg(1) + "'");
        }
        ccMajor = Integer.parseInt(m.group(1));
        ccMinor = Integer.parseInt(m.group(2));
      }
      case "memory-mib" -> memoryMib = line.number(key, 1);
      case "reserved-mib" -> reservedMib = line.number(key, 1);
      case "pci-bus-id" -> {
        Matcher m = PCI.matcher(line.arg(1));
        if (!m.matches()) {
          throw line.fail(key, "expected DDDDDDDD:BB:DD.0 in hex, found '" + line.arg(1) + "'");
        }
        pci =
            new PciAddress(
                Integer.parseUnsignedInt(m.group(1), 16),
                Integer.parseInt(m.group(2), 16),
                Integer.parseInt(m.group(3), 16));
      }
      case "pci-device-id" -> pciDeviceId = (int) line.number(key, 1);
      case "pci-subsystem-id" -> pciSubsystemId = (int) line.number(key, 1);
      case "minor" -> minor = (int) line.number(key, 1);
      case "mig-table" -> {
        String table = line.arg(1);
        if (table.equals("none")) {
          migTable = Optional.empty();
        } else if (tables.containsKey(table)) {
          migTable = Optional.of(tables.get(table));
        } else {
          throw line.fail(key, "no mig-table named '" + table + "' is defined above");
        }
      }
      case "pcie-root" -> {
        if (!PCIE_ROOT.matcher(line.arg(1)).matches()) {
          throw line.fail(
              key, "expected pciDDDD:BB in lower-case hex, found '" + line.arg(1) + "'");
        }
        pcieRoot = Optional.of(line.arg(1));
      }
      case "numa-node" -> {
        String value = line.arg(1);
        if (value.equals("-1")) {
          numaNode = -1;
        } else if (value.startsWith("-")) {
          throw line.fail(key, "expected -1 or a node number, found '" + value + "'");
        } else {
          long node = line.number(key, value);
          if (node > 1024) {
            throw line.fail(key, value + " is larger than 1024");
          }
          numaNode = (int) node;
        }
      }
      case "mig-mode" -> migEnabled = mode(line);
      case "mig-pending" -> migPending = mode(line);
      default -> throw line.fail(key, "unknown field");
    }
  }

  private static boolean mode(ProfileLine line) {
    return switch (line.arg(1)) {
      case "enabled" -> true;
      case "disabled" -> false;
      default ->
          throw line.fail(
              line.keyword(), "expected 'enabled' or 'disabled', found '" + line.arg(1) + "'");
    };
  }

  /** The finished GPU; the file and index name the GPU in errors about missing fields. */
  Gpu build(java.nio.file.Path file, int index) {
    String missing =
        name.isEmpty()
            ? "name"
            : uuid.isEmpty()
                ? "uuid"
                : memoryMib == 0
                    ? "memory-mib"
                    : ccMajor == 0
                        ? "compute-capability"
                        : architecture.isEmpty() ? "architecture" : null;
    if (missing != null) {
      throw ProfileLine.at(file, declaredAt, missing, "GPU " + index + " has no " + missing);
    }
    List<GpuInstance> built = new ArrayList<>();
    for (InstanceDraft d : instances.values()) {
      built.add(
          new GpuInstance(
              d.id(), d.profile(), d.placement(), List.copyOf(d.computeInstances().values())));
    }
    return new Gpu(
        index,
        name,
        brand,
        architecture,
        ccMajor,
        ccMinor,
        memoryMib,
        reservedMib,
        uuid,
        pci,
        pciDeviceId,
        pciSubsystemId,
        minor,
        migTable,
        migEnabled,
        migPending,
        pcieRoot,
        numaNode,
        built);
  }
}
