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
    Objects.requireNonNull(migMode, "migMode");
    migProfiles = List.copyOf(migProfiles);
    migDevices = List.copyOf(migDevices);
    if (minor < 0) {
      throw new IllegalArgumentException("minor must be >= 0, got " + minor);
    }
  }
}
