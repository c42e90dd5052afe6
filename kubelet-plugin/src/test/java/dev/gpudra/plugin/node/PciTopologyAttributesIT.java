package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.slice.DeviceAttributes;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin as a separate JVM on a fake 8x A100 node publishes each device's PCIe root complex and
 * NUMA node from the node's sysfs ({@code GPUDRA_SYSFS_ROOT}); a sysfs that lacks them costs the
 * attributes and one warning, never the start.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class PciTopologyAttributesIT {

  static KubernetesClient client;

  @TempDir Path root;

  private Map<String, Device> publishedDevices(String node, FakeNode files) throws IOException {
    try (PluginProcess plugin =
        PluginProcess.start(
            files.env(client.getMasterUrl().toString()),
            root.resolve(node + ".log"),
            Duration.ofSeconds(90))) {
      assertThat(plugin.alive()).as("plugin on %s serves", node).isTrue();
      return client.resources(ResourceSlice.class).list().getItems().stream()
          .filter(s -> node.equals(s.getSpec().getNodeName()))
          .flatMap(s -> s.getSpec().getDevices().stream())
          .collect(Collectors.toMap(Device::getName, d -> d));
    }
  }

  private static String root(Device device) {
    DeviceAttribute attribute = device.getAttributes().get(DeviceAttributes.PCIE_ROOT);
    return attribute == null ? null : attribute.getString();
  }

  private static Long numa(Device device) {
    DeviceAttribute attribute = device.getAttributes().get(DeviceAttributes.NUMA_NODE);
    return attribute == null ? null : attribute.getInt();
  }

  /** Warnings of discovery (logged by Main), not of the API server client. */
  private List<String> discoveryWarnings(String node) throws IOException {
    return Files.readAllLines(root.resolve(node + ".log")).stream()
        .filter(line -> line.contains(" WARN dev.gpudra.plugin.Main "))
        .toList();
  }

  @Test
  void everyDeviceCarriesItsGpusRootAndNumaNode() throws IOException {
    FakeNode node = FakeNode.create(root.resolve("a"), "pcie-a", "a100-8x");

    Map<String, Device> devices = publishedDevices("pcie-a", node);

    assertThat(devices).containsKeys("gpu-3", "gpu-4", "gpu-5", "gpu-6", "gpu-7");
    assertThat(root(devices.get("gpu-3"))).isEqualTo("pci0000:40");
    assertThat(root(devices.get("gpu-4"))).isEqualTo(root(devices.get("gpu-5")));
    assertThat(root(devices.get("gpu-4"))).isEqualTo("pci0000:80");
    assertThat(root(devices.get("gpu-6"))).isEqualTo("pci0000:a0");
    assertThat(root(devices.get("gpu-7"))).isEqualTo("pci0000:a0");
    assertThat(numa(devices.get("gpu-3"))).isZero();
    assertThat(numa(devices.get("gpu-7"))).isEqualTo(1L);
    List<Device> migOnGpu0 =
        devices.values().stream().filter(d -> d.getName().startsWith("gpu-0-mig-")).toList();
    assertThat(migOnGpu0)
        .hasSize(4)
        .allSatisfy(
            d -> {
              assertThat(root(d)).isEqualTo("pci0000:00");
              assertThat(numa(d)).isZero();
            });
    assertThat(devices.values()).allSatisfy(d -> assertThat(root(d)).isNotNull());
    assertThat(discoveryWarnings("pcie-a")).isEmpty();
  }

  @Test
  void aGpuMissingFromSysfsIsPublishedWithoutRootAndNamedInOneWarning() throws IOException {
    FakeNode node = FakeNode.create(root.resolve("b"), "pcie-b", "a100-8x");
    Files.delete(node.sysfsRoot().resolve("bus/pci/devices/0000:87:00.0"));

    Map<String, Device> devices = publishedDevices("pcie-b", node);

    assertThat(devices.get("gpu-4").getAttributes())
        .containsKey(DeviceAttributes.PCI_BUS_ID)
        .doesNotContainKeys(DeviceAttributes.PCIE_ROOT, DeviceAttributes.NUMA_NODE);
    assertThat(root(devices.get("gpu-5"))).isEqualTo("pci0000:80");
    assertThat(discoveryWarnings("pcie-b")).singleElement().asString().contains("0000:87:00.0");
  }

  @Test
  void withoutTheHostsSysfsThePluginStillStartsAndWarnsOnce() throws IOException {
    FakeNode node = FakeNode.create(root.resolve("c"), "pcie-c", "a100-8x");
    deleteTree(node.sysfsRoot());

    Map<String, Device> devices = publishedDevices("pcie-c", node);

    assertThat(devices).hasSize(13);
    assertThat(devices.values())
        .allSatisfy(
            d ->
                assertThat(d.getAttributes())
                    .containsKey(DeviceAttributes.PCI_BUS_ID)
                    .doesNotContainKeys(DeviceAttributes.PCIE_ROOT, DeviceAttributes.NUMA_NODE));
    assertThat(discoveryWarnings("pcie-c"))
        .singleElement()
        .asString()
        .contains(node.sysfsRoot().resolve("bus/pci/devices").toString());
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
