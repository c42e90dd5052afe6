package dev.gpudra.core.device;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Where a GPU sits in the host's PCI Express tree, as far as the node tells: the root complex its
 * bus id hangs under and the NUMA node the kernel assigns it. Either may be unknown (a virtual
 * machine without NUMA information, a container without the host's sysfs); unknown means the
 * matching attribute is not published, never a guessed value.
 *
 * <p>The parsing here is pure: discovery resolves the sysfs paths and reads the files, and hands
 * their contents to {@link #pcieRootOf} and {@link #numaNodeOf}.
 *
 * @param pcieRoot the root complex in the kernel's sysfs form {@code pci<domain>:<bus>} (lower-case
 *     hex, e.g. {@code pci0000:00}), as Kubernetes' standard {@code
 *     resource.kubernetes.io/pcieRoot} attribute carries it
 * @param numaNode the NUMA node, {@code >= 0}
 */
public record PciTopology(Optional<String> pcieRoot, OptionalInt numaNode) {

  /** Nothing known. */
  public static final PciTopology UNKNOWN = new PciTopology(Optional.empty(), OptionalInt.empty());

  private static final Pattern ROOT = Pattern.compile("pci[0-9a-f]{4}:[0-9a-f]{2}");

  public PciTopology {
    Objects.requireNonNull(pcieRoot, "pcieRoot");
    Objects.requireNonNull(numaNode, "numaNode");
    pcieRoot.ifPresent(
        root -> {
          if (!ROOT.matcher(root).matches()) {
            throw new IllegalArgumentException(
                "PCIe root must look like pci0000:00 (lower-case hex), got '" + root + "'");
          }
        });
    if (numaNode.isPresent() && numaNode.getAsInt() < 0) {
      throw new IllegalArgumentException("NUMA node must be >= 0, got " + numaNode.getAsInt());
    }
  }

  /**
   * The root complex of a PCI device, from where its sysfs link {@code bus/pci/devices/<bus id>}
   * leads, as a path below sysfs' {@code devices/} directory: the kernel names the directory of
   * every root complex {@code pci<domain>:<bus>} and nests each bridge and device under the one
   * above it, so the first component is the root and the last is the device itself.
   *
   * @param pathBelowDevices e.g. {@code pci0000:00/0000:00:01.1/0000:07:00.0} ({@code /}-separated)
   * @param pciBusId the device, e.g. {@code 0000:07:00.0}
   * @return the root, e.g. {@code pci0000:00}
   * @throws IllegalArgumentException saying why the path does not describe the device under a root
   */
  public static String pcieRootOf(String pathBelowDevices, String pciBusId) {
    String[] parts = pathBelowDevices.split("/", -1);
    if (!ROOT.matcher(parts[0]).matches()) {
      throw new IllegalArgumentException(
          pciBusId
              + " is at devices/"
              + pathBelowDevices
              + ", which does not start with a PCIe root (pciDDDD:BB)");
    }
    if (parts.length < 2 || !parts[parts.length - 1].equalsIgnoreCase(pciBusId)) {
      throw new IllegalArgumentException(
          pciBusId + " is at devices/" + pathBelowDevices + ", which names another device");
    }
    return parts[0];
  }

  /**
   * The NUMA node from the content of a device's sysfs {@code numa_node} file: {@code -1} (the
   * kernel's "no node") gives none.
   *
   * @throws IllegalArgumentException when the content is not an integer {@code >= -1}
   */
  public static OptionalInt numaNodeOf(String numaNodeFile) {
    String value = numaNodeFile.strip();
    int node;
    try {
      node = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("numa_node is not a number: '" + value + "'", e);
    }
    if (node < -1) {
      throw new IllegalArgumentException("numa_node is below -1: " + node);
    }
    return node == -1 ? OptionalInt.empty() : OptionalInt.of(node);
  }
}
