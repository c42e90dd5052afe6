package dev.gpudra.core.device.nvml;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns NVML's raw answers into the device model. Pure: the same input always gives the same
 * inventory, and nothing here touches the library.
 *
 * <p>Names follow what the NVIDIA DRA driver publishes (brand and architecture strings, profile
 * names), so selectors written for it keep working.
 */
public final class NvmlInventoryMapper {

  /** The most bytes of a published string attribute, which a UUID is. */
  private static final int MAX_UUID_BYTES = 64;

  private static final long MIB = 1024L * 1024L;

  /** NVML's bus id: 8-hex-digit (or 4) domain, then bus, device and function. */
  private static final Pattern BUS_ID =
      Pattern.compile("([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\\.([0-7])");

  private static final Pattern MIG_NAME_PREFIX = Pattern.compile("^MIG(\\s+|$)");

  private NvmlInventoryMapper() {}

  /** Maps one GPU, its MIG profiles and its MIG devices. */
  public static Gpu toGpu(RawGpu raw) {
    List<MigProfile> profiles =
        raw.profiles().stream()
            .sorted(Comparator.comparingInt(RawGpuInstanceProfile::profileIndex))
            .map(NvmlInventoryMapper::toProfile)
            .toList();
    List<MigDevice> migDevices =
        raw.migDevices().stream()
            .sorted(
                Comparator.comparingInt(RawMigDevice::gpuInstanceId)
                    .thenComparingInt(RawMigDevice::computeInstanceId))
            .map(device -> toMigDevice(raw, profiles, device))
            .toList();
    requireDistinctPlacements(raw.index(), profiles);
    requireDistinctMigDevices(raw.index(), migDevices);
    MigMode migMode =
        raw.migCapable()
            ? new MigMode(true, raw.migCurrent() == 1, raw.migPending() == 1)
            : MigMode.NOT_CAPABLE;
    return new Gpu(
        raw.index(),
        raw.minor(),
        uuid(raw.uuid()),
        raw.name().trim(),
        brandName(raw.brand()),
        architectureName(raw.architecture()),
        computeCapability(raw),
        memoryBytes(raw.memoryTotalBytes(), "GPU " + raw.index()),
        pciBusId(raw.busId()),
        migMode,
        profiles,
        migDevices);
  }

  /**
   * A GPU's or MIG device's UUID as published: NVML's are 40 or 44 ASCII characters; one longer
   * than a string attribute may be (64 bytes of UTF-8) cannot be published, and cutting it would
   * name another device, so the device is unmappable.
   */
  static String uuid(String nvmlUuid) {
    String uuid = nvmlUuid.trim();
    if (uuid.getBytes(StandardCharsets.UTF_8).length > MAX_UUID_BYTES) {
      throw new IllegalArgumentException(
          "NVML reported a UUID of more than " + MAX_UUID_BYTES + " bytes: " + uuid);
    }
    return uuid;
  }

  /**
   * With dynamic MIG every placement of every profile is published under a name made of the
   * profile's id and the placement's start, so a profile id listed twice, or a start listed twice
   * in one profile, would give two devices one name: the GPU is unmappable instead.
   */
  private static void requireDistinctPlacements(int gpuIndex, List<MigProfile> profiles) {
    Set<Integer> ids = new HashSet<>();
    for (MigProfile profile : profiles) {
      if (!ids.add(profile.id())) {
        throw new IllegalArgumentException(
            "GPU " + gpuIndex + ": NVML listed GPU-instance profile id " + profile.id() + " twice");
      }
      Set<Integer> starts = new HashSet<>();
      for (MigPlacement placement : profile.placements()) {
        if (!starts.add(placement.start())) {
          throw new IllegalArgumentException(
              "GPU "
                  + gpuIndex
                  + ": NVML listed placement "
                  + placement.start()
                  + " of profile "
                  + profile.name()
                  + " twice");
        }
      }
    }
  }

  /**
   * MIG devices are published under names made of their GPU instance's profile and placement (and
   * the compute instance when a GPU instance has several), so NVML answers that give two devices
   * one name make the GPU unmappable instead of a pool the API server refuses: the same compute
   * instance twice, or two GPU instances of one profile at the same placement.
   */
  private static void requireDistinctMigDevices(int gpuIndex, List<MigDevice> migDevices) {
    Set<String> instances = new HashSet<>();
    Map<String, Integer> instanceAtPlacement = new HashMap<>();
    for (MigDevice mig : migDevices) {
      if (!instances.add(mig.gpuInstanceId() + "/" + mig.computeInstanceId())) {
        throw new IllegalArgumentException(
            "GPU "
                + gpuIndex
                + ": NVML reported compute instance "
                + mig.computeInstanceId()
                + " of GPU instance "
                + mig.gpuInstanceId()
                + " twice");
      }
      String placement = mig.profileId() + "@" + mig.placement().start();
      Integer other = instanceAtPlacement.putIfAbsent(placement, mig.gpuInstanceId());
      if (other != null && other.intValue() != mig.gpuInstanceId()) {
        throw new IllegalArgumentException(
            "GPU "
                + gpuIndex
                + ": NVML reported GPU instances "
                + other
                + " and "
                + mig.gpuInstanceId()
                + " of profile "
                + mig.profileName()
                + " at the same placement "
                + mig.placement().start());
      }
    }
  }

  /** Maps one GPU-instance profile. */
  public static MigProfile toProfile(RawGpuInstanceProfile raw) {
    List<MigPlacement> placements =
        raw.placements().stream().map(p -> new MigPlacement(p.start(), p.size())).toList();
    return new MigProfile(
        raw.profileIndex(),
        raw.id(),
        profileName(raw.name()),
        raw.sliceCount(),
        raw.memorySizeMiB() * MIB,
        counters(raw, memorySlices(placements, raw.sliceCount())),
        raw.instanceCount(),
        placements);
  }

  private static MigDevice toMigDevice(RawGpu parent, List<MigProfile> profiles, RawMigDevice raw) {
    MigProfile profile =
        profiles.stream()
            .filter(p -> p.id() == raw.gpuInstanceProfileId())
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "GPU "
                            + parent.index()
                            + ": MIG device "
                            + raw.uuid()
                            + " has GPU-instance profile id "
                            + raw.gpuInstanceProfileId()
                            + ", which the GPU does not list"));
    MigPlacement placement = new MigPlacement(raw.placement().start(), raw.placement().size());
    MigCounters base = profile.resources();
    MigCounters resources =
        new MigCounters(
            placement.size(),
            base.multiprocessors(),
            base.copyEngines(),
            base.decoders(),
            base.encoders(),
            base.jpegEngines(),
            base.ofaEngines());
    return new MigDevice(
        uuid(raw.uuid()),
        parent.uuid().trim(),
        parent.minor(),
        profile.name(),
        profile.id(),
        raw.gpuInstanceId(),
        raw.computeInstanceId(),
        placement,
        memoryBytes(raw.memoryTotalBytes(), "MIG device " + raw.uuid()),
        resources);
  }

  private static MigCounters counters(RawGpuInstanceProfile raw, int memorySlices) {
    return new MigCounters(
        memorySlices,
        raw.multiprocessorCount(),
        raw.copyEngineCount(),
        raw.decoderCount(),
        raw.encoderCount(),
        raw.jpegCount(),
        raw.ofaCount());
  }

  /**
   * Memory slices an instance of the profile takes: the placement size, which can exceed the
   * compute slice count (a 7g instance spans all 8 memory slices of an A100).
   */
  private static int memorySlices(List<MigPlacement> placements, int sliceCount) {
    return placements.stream().mapToInt(MigPlacement::size).max().orElse(sliceCount);
  }

  /**
   * The canonical profile name: NVML's name without its {@code "MIG "} prefix. Names are not
   * derived from slices and memory because NVIDIA's rounding differs per product (an A100's 80896
   * MiB instance is "7g.80gb"); every driver that offers the versioned profile query names its
   * profiles, so a missing name is an error.
   */
  public static String profileName(String nvmlName) {
    String name =
        nvmlName == null ? "" : MIG_NAME_PREFIX.matcher(nvmlName.trim()).replaceFirst("").trim();
    if (name.isEmpty()) {
      throw new IllegalArgumentException("NVML reported a GPU-instance profile without a name");
    }
    // Published device names carry the name's ASCII letters and digits; without any there is no
    // name to publish the profile's devices under.
    if (name.chars().noneMatch(c -> c < 128 && Character.isLetterOrDigit(c))) {
      throw new IllegalArgumentException(
          "NVML reported a GPU-instance profile whose name has no letters or digits: " + name);
    }
    return name;
  }

  /**
   * {@code major.minor}, published as a version attribute. A negative part (an unset NVML field)
   * would make the node's whole slice invalid, so it is this GPU's mapping error instead.
   */
  private static String computeCapability(RawGpu raw) {
    int major = raw.computeCapabilityMajor();
    int minor = raw.computeCapabilityMinor();
    if (major < 0 || minor < 0) {
      throw new IllegalArgumentException(
          "GPU " + raw.index() + ": NVML reported compute capability " + major + "." + minor);
    }
    return major + "." + minor;
  }

  /** NVML's memory size; a negative one (an unset field) is this device's mapping error. */
  private static long memoryBytes(long bytes, String device) {
    if (bytes < 0) {
      throw new IllegalArgumentException(device + ": NVML reported memory of " + bytes + " bytes");
    }
    return bytes;
  }

  /** CUDA driver version 12040 becomes {@code 12.4}. */
  public static String cudaVersion(int version) {
    if (version <= 0) {
      throw new IllegalArgumentException("CUDA driver version must be > 0, got " + version);
    }
    return (version / 1000) + "." + ((version % 1000) / 10);
  }

  /**
   * NVML's bus id ({@code 00000000:07:00.0}) in the form of Kubernetes' standard {@code
   * resource.kubernetes.io/pciBusID} attribute: lower case, 4-digit domain ({@code 0000:07:00.0}).
   */
  public static String pciBusId(String nvmlBusId) {
    Matcher m = BUS_ID.matcher(nvmlBusId.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a PCI bus id: '" + nvmlBusId + "'");
    }
    String domain = m.group(1);
    String domain4 = domain.substring(domain.length() - 4);
    if (domain.length() > 4 && Long.parseLong(domain.substring(0, domain.length() - 4), 16) != 0) {
      throw new IllegalArgumentException("PCI domain does not fit 16 bits: '" + nvmlBusId + "'");
    }
    return (domain4 + ":" + m.group(2) + ":" + m.group(3) + "." + m.group(4))
        .toLowerCase(Locale.ROOT);
  }

  /** {@code nvmlBrandType_t} as the strings the NVIDIA DRA driver publishes. */
  public static String brandName(int brand) {
    return switch (brand) {
      case 1 -> "Quadro";
      case 2 -> "Tesla";
      case 3 -> "NVS";
      case 4 -> "Grid";
      case 5 -> "GeForce";
      case 6 -> "Titan";
      case 7 -> "NvidiaVApps";
      case 8 -> "NvidiaVPC";
      case 9 -> "NvidiaVCS";
      case 10 -> "NvidiaVWS";
      case 11 -> "NvidiaCloudGaming";
      case 12 -> "QuadroRTX";
      case 13 -> "NvidiaRTX";
      case 14 -> "Nvidia";
      case 15 -> "GeForceRTX";
      case 16 -> "TitanRTX";
      default -> "Unknown";
    };
  }

  /** {@code nvmlDeviceArchitecture_t} as a name. */
  public static String architectureName(int architecture) {
    return switch (architecture) {
      case 2 -> "Kepler";
      case 3 -> "Maxwell";
      case 4 -> "Pascal";
      case 5 -> "Volta";
      case 6 -> "Turing";
      case 7 -> "Ampere";
      case 8 -> "Ada Lovelace";
      case 9 -> "Hopper";
      case 10 -> "Blackwell";
      default -> "Unknown";
    };
  }
}
