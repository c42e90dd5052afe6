package dev.gpudra.nvml;

import dev.gpudra.core.device.PciTopology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;

/**
 * GPUs' PCIe root complexes and NUMA nodes from the host's sysfs, as Kubernetes' standard {@code
 * resource.kubernetes.io/pcieRoot} attribute defines them: {@code <sysfs>/bus/pci/devices/<bus id>}
 * links to the device's directory below {@code <sysfs>/devices/}, whose first component is the root
 * complex ({@code pci0000:80/0000:80:01.1/.../0000:87:00.0}); the device's {@code numa_node} file
 * holds its NUMA node ({@code -1} for none).
 *
 * <p>Anything missing or malformed leaves that value unknown and is reported through {@code
 * warnings} once per GPU and problem (once in all when the sysfs root has no PCI devices, e.g. when
 * the host's {@code /sys} is not mounted): the devices are still published, just without the
 * attribute. Thread-safe.
 */
public final class SysfsPciTopology implements PciTopologySource {

  private final Path sysfsRoot;
  private final Consumer<String> warnings;
  private final Set<String> warned = new HashSet<>();

  /**
   * @param sysfsRoot the host's sysfs as this process sees it, e.g. {@code /sys} or {@code
   *     /host/sys}
   * @param warnings receives one line per problem
   */
  public SysfsPciTopology(Path sysfsRoot, Consumer<String> warnings) {
    this.sysfsRoot = Objects.requireNonNull(sysfsRoot, "sysfsRoot");
    this.warnings = Objects.requireNonNull(warnings, "warnings");
  }

  @Override
  public synchronized PciTopology topology(String pciBusId) {
    Path pciDevices = sysfsRoot.resolve("bus").resolve("pci").resolve("devices");
    if (!Files.isDirectory(pciDevices)) {
      warnOnce(
          "",
          pciDevices
              + " does not exist: no GPU gets the resource.kubernetes.io/pcieRoot and numaNode"
              + " attributes (is the host's sysfs mounted there?)");
      return PciTopology.UNKNOWN;
    }
    Path link = pciDevices.resolve(pciBusId);
    if (!Files.exists(link)) {
      warnOnce(
          pciBusId,
          "GPU "
              + pciBusId
              + ": "
              + link
              + " does not exist; the GPU is published without PCIe root and NUMA node");
      return PciTopology.UNKNOWN;
    }
    return new PciTopology(pcieRoot(pciBusId, link), numaNode(pciBusId, link));
  }

  private Optional<String> pcieRoot(String pciBusId, Path link) {
    try {
      Path devices = sysfsRoot.resolve("devices").toRealPath();
      Path device = link.toRealPath();
      if (!device.startsWith(devices)) {
        throw new IllegalArgumentException(link + " leads to " + device + ", outside " + devices);
      }
      return Optional.of(PciTopology.pcieRootOf(devices.relativize(device).toString(), pciBusId));
    } catch (IOException | IllegalArgumentException e) {
      warnOnce(pciBusId + " root", "GPU " + pciBusId + ": no PCIe root: " + e.getMessage());
      return Optional.empty();
    }
  }

  private OptionalInt numaNode(String pciBusId, Path link) {
    Path file = link.resolve("numa_node");
    try {
      return PciTopology.numaNodeOf(Files.readString(file));
    } catch (NoSuchFileException e) {
      warnOnce(pciBusId + " numa", "GPU " + pciBusId + ": no NUMA node: " + file + " is missing");
    } catch (IOException | IllegalArgumentException e) {
      warnOnce(pciBusId + " numa", "GPU " + pciBusId + ": no NUMA node: " + e.getMessage());
    }
    return OptionalInt.empty();
  }

  private void warnOnce(String key, String message) {
    if (warned.add(key)) {
      warnings.accept(message);
    }
  }
}
