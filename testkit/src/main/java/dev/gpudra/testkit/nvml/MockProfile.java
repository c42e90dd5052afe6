package dev.gpudra.testkit.nvml;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * A mock NVML profile as the mock library serves it: the node's GPUs with every field the library
 * answers, the MIG profile tables and placements, the MIG instances a fresh state file starts with,
 * and the injected faults. Tests compare what NVML reports through the binding with these values.
 *
 * <p>The format is documented in {@code testkit/src/mock/README.md}; {@link #load} reads it with
 * the same rules as the C library ({@link MockProfileParser}).
 *
 * @param name profile name: the built-in name, or the file name without extension
 * @param driverVersion what {@code nvmlSystemGetDriverVersion} returns
 * @param nvmlVersion what {@code nvmlSystemGetNVMLVersion} returns
 * @param cudaDriverVersion what {@code nvmlSystemGetCudaDriverVersion} returns, e.g. 12040
 * @param migTables MIG tables by name
 * @param gpus GPUs by NVML index
 * @param faults injected faults
 */
public record MockProfile(
    String name,
    String driverVersion,
    String nvmlVersion,
    int cudaDriverVersion,
    Map<String, MigTable> migTables,
    List<Gpu> gpus,
    Faults faults) {

  public MockProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(driverVersion, "driverVersion");
    Objects.requireNonNull(nvmlVersion, "nvmlVersion");
    migTables = Map.copyOf(migTables);
    gpus = List.copyOf(gpus);
    Objects.requireNonNull(faults, "faults");
  }

  /**
   * Reads a profile file, resolving {@code include} lines against the built-in profile directory.
   *
   * @throws IllegalArgumentException naming file, line and field when the profile is malformed
   */
  public static MockProfile load(Path file, Path builtInDir) throws IOException {
    return new MockProfileParser(builtInDir).parse(file);
  }

  /** The MIG devices a fresh state file starts with: one per compute instance. */
  public int initialMigDeviceCount() {
    return gpus.stream()
        .flatMap(g -> g.gpuInstances().stream())
        .mapToInt(gi -> gi.computeInstances().size())
        .sum();
  }

  /**
   * One GPU.
   *
   * @param index NVML index
   * @param name product name, e.g. {@code NVIDIA A100-SXM4-80GB}
   * @param brand {@code NVML_BRAND_*} suffix, e.g. {@code NVIDIA}
   * @param architecture {@code NVML_DEVICE_ARCH_*} suffix, e.g. {@code AMPERE}
   * @param memoryMib total memory in MiB
   * @param reservedMib memory reserved by the driver in MiB (reported as used)
   * @param migTable the MIG table, empty for GPUs without MIG support
   * @param pcieRoot the root complex the GPU hangs under in the host's sysfs ({@code pci0000:80});
   *     empty when the node's sysfs has no entry for the GPU. Not served through NVML: {@link
   *     FakeSysfs} builds the node's sysfs tree from it.
   * @param numaNode the content of the GPU's sysfs {@code numa_node} file ({@code -1}: none)
   */
  public record Gpu(
      int index,
      String name,
      String brand,
      String architecture,
      int computeCapabilityMajor,
      int computeCapabilityMinor,
      long memoryMib,
      long reservedMib,
      String uuid,
      PciAddress pci,
      int pciDeviceId,
      int pciSubsystemId,
      int minor,
      Optional<MigTable> migTable,
      boolean migEnabled,
      boolean migPending,
      Optional<String> pcieRoot,
      int numaNode,
      List<GpuInstance> gpuInstances) {

    private static final Pattern UUID =
        Pattern.compile(
            "GPU-\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");

    public Gpu {
      if (index < 0) {
        throw new IllegalArgumentException("index must not be negative: " + index);
      }
      if (!UUID.matcher(uuid).matches()) {
        throw new IllegalArgumentException("not a GPU UUID: " + uuid);
      }
      Objects.requireNonNull(pci, "pci");
      Objects.requireNonNull(migTable, "migTable");
      Objects.requireNonNull(pcieRoot, "pcieRoot");
      if (numaNode < -1) {
        throw new IllegalArgumentException("numaNode must be >= -1: " + numaNode);
      }
      gpuInstances = List.copyOf(gpuInstances);
    }

    /** Memory in bytes, as NVML reports it. */
    public long memoryBytes() {
      return memoryMib << 20;
    }
  }

  /**
   * A PCI location; NVML formats bus ids in upper-case hex.
   *
   * @param domain PCI domain
   * @param bus PCI bus
   * @param device PCI device (function is always 0)
   */
  public record PciAddress(int domain, int bus, int device) {
    public PciAddress {
      if (bus < 0 || bus > 0xff || device < 0 || device > 31) {
        throw new IllegalArgumentException("bus or device out of range: " + bus + ", " + device);
      }
    }

    /** {@code nvmlPciInfo_t.busId}, e.g. {@code 00000000:07:00.0}. */
    public String busId() {
      return String.format("%08X:%02X:%02X.0", domain, bus, device);
    }

    /** {@code nvmlPciInfo_t.busIdLegacy}, e.g. {@code 0000:07:00.0}. */
    public String busIdLegacy() {
      return String.format("%04X:%02X:%02X.0", domain & 0xffff, bus, device);
    }
  }

  /**
   * A GPU's MIG profile table.
   *
   * @param memorySlices memory slices of the GPU (placements are in these units)
   * @param computeSlices compute slices of the GPU
   * @param profiles GPU-instance profiles, ordered as in the file
   */
  public record MigTable(
      String name, int memorySlices, int computeSlices, List<GpuInstanceProfile> profiles) {
    public MigTable {
      profiles = List.copyOf(profiles);
    }

    /** The profile with this name, e.g. {@code 3g.40gb}. */
    public Optional<GpuInstanceProfile> profile(String profileName) {
      return profiles.stream().filter(p -> p.name().equals(profileName)).findFirst();
    }
  }

  /**
   * One row of {@code nvidia-smi mig -lgip}.
   *
   * @param enumIndex the {@code NVML_GPU_INSTANCE_PROFILE_*} value that queries take
   * @param id the profile id that creation and instance queries take
   * @param slices compute slices
   * @param instances the most instances of this profile a GPU holds
   * @param placements possible placements in memory slices
   */
  public record GpuInstanceProfile(
      int enumIndex,
      int id,
      String name,
      int slices,
      long memoryMib,
      int multiprocessors,
      int copyEngines,
      int decoders,
      int encoders,
      int jpegEngines,
      int ofaEngines,
      int instances,
      List<Placement> placements) {
    public GpuInstanceProfile {
      placements = List.copyOf(placements);
      if (instances < 1 || instances > placements.size()) {
        throw new IllegalArgumentException(name + ": instances outside 1.." + placements.size());
      }
    }
  }

  /**
   * A span of memory slices (GPU instances) or compute slices (compute instances).
   *
   * @param start first slice
   * @param size number of slices
   */
  public record Placement(int start, int size) {
    public Placement {
      if (start < 0 || size < 1) {
        throw new IllegalArgumentException("invalid placement " + start + ":" + size);
      }
    }

    /** The slice after the last one. */
    public int end() {
      return start + size;
    }

    /** Whether the two spans share a slice. */
    public boolean overlaps(Placement other) {
      return start < other.end() && other.start < end();
    }
  }

  /**
   * A GPU instance the profile creates when the state file is new.
   *
   * @param id GPU instance id
   * @param profile its profile
   * @param placement memory slices it occupies
   */
  public record GpuInstance(
      int id,
      GpuInstanceProfile profile,
      Placement placement,
      List<ComputeInstance> computeInstances) {
    public GpuInstance {
      computeInstances = List.copyOf(computeInstances);
    }
  }

  /**
   * A compute instance, i.e. a MIG device.
   *
   * @param id compute instance id within its GPU instance
   * @param profileName e.g. {@code 3g.40gb} (full) or {@code 1c.3g.40gb}
   * @param placement compute slices within the GPU instance
   */
  public record ComputeInstance(int id, String profileName, Placement placement) {}

  /**
   * Injected faults.
   *
   * @param initError NVML error name that {@code nvmlInit} returns, e.g. {@code
   *     NVML_ERROR_DRIVER_NOT_LOADED}
   * @param lostGpu index of the GPU that answers {@code NVML_ERROR_GPU_IS_LOST}
   * @param delays calls slowed down
   */
  public record Faults(Optional<String> initError, OptionalInt lostGpu, List<Delay> delays) {
    public Faults {
      Objects.requireNonNull(initError, "initError");
      Objects.requireNonNull(lostGpu, "lostGpu");
      delays = List.copyOf(delays);
    }
  }

  /**
   * A call slowed down on purpose.
   *
   * @param function exact NVML symbol, e.g. {@code nvmlDeviceGetName}
   * @param millis added latency
   */
  public record Delay(String function, int millis) {}
}
