package dev.gpudra.testkit.nvml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The part of a node's sysfs that tells where its GPUs sit in the PCI tree, built in a directory
 * from a {@link MockProfile}, the way the kernel lays it out:
 *
 * <pre>
 * devices/pci0000:80/0000:80:01.1/0000:86:00.0/0000:87:00.0/numa_node   (the GPU's directory)
 * bus/pci/devices/0000:87:00.0 -&gt; ../../../devices/pci0000:80/0000:80:01.1/0000:86:00.0/0000:87:00.0
 * </pre>
 *
 * <p>Each GPU with a {@code pcie-root} in the profile hangs under that root complex behind a root
 * port ({@code <root bus>:01.1}) and a switch port on the bus just below its own, as on hosts whose
 * GPUs sit behind PCIe switches, or directly under it when it is on the root's own bus (a virtual
 * machine's GPU); its {@code numa_node} holds the profile's {@code numa-node}. GPUs without a
 * {@code pcie-root} get no entry, like a device the host's sysfs does not show.
 */
public final class FakeSysfs {

  private FakeSysfs() {}

  /**
   * {@code FakeSysfs DIR PROFILE}: writes the tree of a built-in profile (or a profile file, any
   * value with a {@code /}) under DIR, for {@code scripts/fake-node.sh}.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: FakeSysfs DIR PROFILE");
      System.exit(64);
    }
    // Not through MockNvml, which needs JNA on the class path.
    Path builtIn = MockNvmlFiles.dir().resolve("profiles");
    Path file = args[1].contains("/") ? Path.of(args[1]) : builtIn.resolve(args[1] + ".profile");
    System.out.println(create(Path.of(args[0]), MockProfile.load(file, builtIn)));
  }

  /**
   * Writes the tree for {@code profile}'s GPUs under {@code root} and returns {@code root}, the
   * directory to give the plugin as its sysfs root.
   */
  public static Path create(Path root, MockProfile profile) throws IOException {
    Path busDevices = Files.createDirectories(root.resolve("bus/pci/devices"));
    for (MockProfile.Gpu gpu : profile.gpus()) {
      if (gpu.pcieRoot().isEmpty()) {
        continue;
      }
      String pcieRoot = gpu.pcieRoot().get();
      String domain = pcieRoot.substring(3, 7);
      String rootBus = pcieRoot.substring(8);
      String busId = busId(gpu.pci());
      Path below;
      if (Integer.parseInt(rootBus, 16) == gpu.pci().bus()) {
        below = Path.of(pcieRoot, busId); // on the root bus itself, as in a virtual machine
      } else {
        String rootPort = domain + ":" + rootBus + ":01.1";
        String switchPort = String.format(Locale.ROOT, "%s:%02x:00.0", domain, gpu.pci().bus() - 1);
        below = Path.of(pcieRoot, rootPort, switchPort, busId);
      }
      Path device = Files.createDirectories(root.resolve("devices").resolve(below));
      Files.writeString(device.resolve("numa_node"), gpu.numaNode() + "\n");
      Files.createSymbolicLink(
          busDevices.resolve(busId), Path.of("..", "..", "..", "devices").resolve(below));
    }
    return root;
  }

  /** The bus id as sysfs names the device: 4-digit domain, lower-case hex. */
  public static String busId(MockProfile.PciAddress pci) {
    return pci.busIdLegacy().toLowerCase(Locale.ROOT);
  }
}
