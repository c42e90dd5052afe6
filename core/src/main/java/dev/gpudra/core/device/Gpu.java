package dev.gpudra.core.device;

import java.util.List;
import java.util.Objects;

/**
 * One physical GPU as discovered on the node, with its MIG state.
 *
 * @param index NVML device index (enumeration order, not stable across reboots)
 * @param minor device minor number: the GPU's device node is {@code /dev/nvidia<minor>}
 * @param uuid stable GPU UUID ({@code GPU-...})
 * @param productName marketing name, e.g. {@code NVIDIA A100-SXM4-80GB}
 * @param brand product brand, e.g. {@code Nvidia} or {@code Tesla}
 * @param architecture architecture name, e.g. {@code Ampere} or {@code Hopper}
 * @param cudaComputeCapability CUDA compute capability as {@code major.minor}
 * @param memoryBytes total framebuffer memory
 * @param pciBusId PCI address in the {@code dddd:bb:dd.f} form Kubernetes' standard attribute uses
 * @param pciTopology its PCIe root complex and NUMA node, where the node tells them
 * @param migMode MIG mode
 * @param migProfiles GPU-instance profiles the GPU offers (empty without MIG support)
 * @param migDevices MIG devices that exist now (empty unless MIG is enabled)
 */
public record Gpu(
    int index,
    int minor,
    String uuid,
    String productName,
    String brand,
    String architecture,
    String cudaComputeCapability,
    long memoryBytes,
    String pciBusId,
    PciTopology pciTopology,
    MigMode migMode,
    List<MigProfile> migProfiles,
    List<MigDevice> migDevices) {

  public Gpu {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(productName, "productName");
    Objects.requireNonNull(brand, "brand");
    Objects.requireNonNull(architecture, "architecture");
    Objects.requireNonNull(cudaComputeCapability, "cudaComputeCapability");
    Objects.requireNonNull(pciBusId, "pciBusId");
    Objects.requireNonNull(pciTopology, "pciTopology");
    Objects.requireNonNull(migMode, "migMode");
    migProfiles = List.copyOf(migProfiles);
    migDevices = List.copyOf(migDevices);
    if (minor < 0) {
      throw new IllegalArgumentException("minor must be >= 0, got " + minor);
    }
  }

  /** A GPU whose place in the PCI tree is not known (NVML alone does not tell it). */
  public Gpu(
      int index,
      int minor,
      String uuid,
      String productName,
      String brand,
      String architecture,
      String cudaComputeCapability,
      long memoryBytes,
      String pciBusId,
      MigMode migMode,
      List<MigProfile> migProfiles,
      List<MigDevice> migDevices) {
    this(
        index,
        minor,
        uuid,
        productName,
        brand,
        architecture,
        cudaComputeCapability,
        memoryBytes,
        pciBusId,
        PciTopology.UNKNOWN,
        migMode,
        migProfiles,
        migDevices);
  }

  /** This GPU with {@code topology} as its place in the PCI tree. */
  public Gpu withPciTopology(PciTopology topology) {
    return new Gpu(
        index,
        minor,
        uuid,
        productName,
        brand,
        architecture,
        cudaComputeCapability,
        memoryBytes,
        pciBusId,
        topology,
        migMode,
        migProfiles,
        migDevices);
  }
}
