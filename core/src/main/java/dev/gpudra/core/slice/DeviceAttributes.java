package dev.gpudra.core.slice;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.NodeInventory;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttributeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacityBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Attributes and capacities of published devices. Names match the NVIDIA DRA driver's, so that
 * claim selectors written for it work unchanged; names without a domain belong to the driver's
 * domain ({@code gpu.gpudra.dev}).
 */
public final class DeviceAttributes {

  /** Kubernetes' standard PCI address attribute. */
  public static final String PCI_BUS_ID = "resource.kubernetes.io/pciBusID";

  /**
   * Kubernetes' standard PCIe root complex attribute ({@code pci<domain>:<bus>}): devices with the
   * same value share a root complex, which a claim asks for with {@code matchAttribute}.
   */
  public static final String PCIE_ROOT = "resource.kubernetes.io/pcieRoot";

  /** The GPU's NUMA node (int), published only where the kernel knows it. */
  public static final String NUMA_NODE = "resource.kubernetes.io/numaNode";

  private DeviceAttributes() {}

  /**
   * Attributes every device on a GPU carries: the GPU's identity, the driver versions and the GPU's
   * place in the PCI tree (a MIG device shares its parent's PCIe root and NUMA node).
   */
  static Map<String, DeviceAttribute> common(NodeInventory node, Gpu gpu) {
    Map<String, DeviceAttribute> attributes = new LinkedHashMap<>();
    attributes.put("productName", string(fitted(gpu.productName())));
    attributes.put("brand", string(fitted(gpu.brand())));
    attributes.put("architecture", string(fitted(gpu.architecture())));
    attributes.put("cudaComputeCapability", version(gpu.cudaComputeCapability()));
    attributes.put("driverVersion", version(node.driverVersion()));
    attributes.put("cudaDriverVersion", version(node.cudaDriverVersion()));
    attributes.put(PCI_BUS_ID, string(gpu.pciBusId()));
    gpu.pciTopology().pcieRoot().ifPresent(root -> attributes.put(PCIE_ROOT, string(root)));
    gpu.pciTopology().numaNode().ifPresent(numa -> attributes.put(NUMA_NODE, integer(numa)));
    return attributes;
  }

  /** A full GPU's attributes. */
  static Map<String, DeviceAttribute> gpu(NodeInventory node, Gpu gpu) {
    Map<String, DeviceAttribute> attributes = new LinkedHashMap<>();
    attributes.put("type", string("gpu"));
    attributes.put("uuid", string(gpu.uuid()));
    attributes.putAll(common(node, gpu));
    return attributes;
  }

  /**
   * A MIG device's attributes. {@code uuid} is only known for MIG devices that exist; a dynamic MIG
   * placement gets its UUID when it is created at prepare time.
   */
  static Map<String, DeviceAttribute> mig(
      NodeInventory node, Gpu parent, String profileName, String uuidOrNull) {
    Map<String, DeviceAttribute> attributes = new LinkedHashMap<>();
    attributes.put("type", string("mig"));
    if (uuidOrNull != null) {
      attributes.put("uuid", string(uuidOrNull));
    }
    attributes.put("parentUUID", string(parent.uuid()));
    attributes.put("profile", string(fitted(profileName)));
    attributes.putAll(common(node, parent));
    return attributes;
  }

  /** A MIG device's capacities: its memory and the engines its GPU instance owns. */
  static Map<String, DeviceCapacity> migCapacity(long memoryBytes, MigCounters resources) {
    Map<String, DeviceCapacity> capacity = new LinkedHashMap<>();
    capacity.put("memory", capacity(Quantities.bytes(memoryBytes)));
    capacity.put("multiprocessors", capacity(Quantities.count(resources.multiprocessors())));
    capacity.put("copyEngines", capacity(Quantities.count(resources.copyEngines())));
    capacity.put("decoders", capacity(Quantities.count(resources.decoders())));
    capacity.put("encoders", capacity(Quantities.count(resources.encoders())));
    capacity.put("jpegEngines", capacity(Quantities.count(resources.jpegEngines())));
    capacity.put("ofaEngines", capacity(Quantities.count(resources.ofaEngines())));
    return capacity;
  }

  static Map<String, DeviceCapacity> gpuCapacity(Gpu gpu) {
    return Map.of("memory", capacity(Quantities.bytes(gpu.memoryBytes())));
  }

  private static DeviceCapacity capacity(io.fabric8.kubernetes.api.model.Quantity value) {
    return new DeviceCapacityBuilder().withValue(value).build();
  }

  /**
   * NVML's free text cut to what the API server accepts in a string attribute: at most {@link
   * SliceLimits#MAX_ATTRIBUTE_LENGTH} bytes of UTF-8, never splitting a character. NVML allows
   * product names of up to 96 bytes; a longer one must not keep the node's GPUs unpublished.
   */
  static String fitted(String text) {
    if (SliceLimits.utf8Length(text) <= SliceLimits.MAX_ATTRIBUTE_LENGTH) {
      return text;
    }
    int end = 0;
    int bytes = 0;
    while (end < text.length()) {
      int codePoint = text.codePointAt(end);
      int size = SliceLimits.utf8Length(new String(Character.toChars(codePoint)));
      if (bytes + size > SliceLimits.MAX_ATTRIBUTE_LENGTH) {
        break;
      }
      bytes += size;
      end += Character.charCount(codePoint);
    }
    return text.substring(0, end);
  }

  private static DeviceAttribute string(String value) {
    return new DeviceAttributeBuilder().withString(value).build();
  }

  private static DeviceAttribute integer(long value) {
    return new DeviceAttributeBuilder().withInt(value).build();
  }

  private static DeviceAttribute version(String value) {
    return new DeviceAttributeBuilder().withVersion(semver(value)).build();
  }

  /**
   * Versions as semantic versions, which the API requires for version attributes: {@code 8.0}
   * becomes {@code 8.0.0}; leading zeros are dropped ({@code 550.54.015} is not valid semver).
   */
  public static String semver(String version) {
    String[] parts = version.trim().split("\\.", -1);
    if (parts.length == 0 || parts.length > 3) {
      throw new IllegalArgumentException("not a version: '" + version + "'");
    }
    long[] numbers = new long[3];
    for (int i = 0; i < parts.length; i++) {
      if (!parts[i].matches("\\d{1,18}")) {
        throw new IllegalArgumentException("not a version: '" + version + "'");
      }
      numbers[i] = Long.parseLong(parts[i]);
    }
    return numbers[0] + "." + numbers[1] + "." + numbers[2];
  }
}
