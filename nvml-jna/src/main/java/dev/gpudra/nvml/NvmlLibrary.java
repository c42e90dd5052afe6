package dev.gpudra.nvml;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * {@code libnvidia-ml.so.1}, declared with the exact C symbols it exports (versioned ones included,
 * since {@code nvml.h} maps plain names such as {@code nvmlInit} to {@code nvmlInit_v2} by macro).
 * Every function returns an {@code nvmlReturn_t}; {@link NvmlSession} turns non-zero codes into
 * {@link NvmlException}. Handles ({@code nvmlDevice_t}, {@code nvmlGpuInstance_t}, {@code
 * nvmlComputeInstance_t}) are opaque pointers and never leave the session.
 */
public interface NvmlLibrary extends Library {

  /** {@code NVML_DEVICE_UUID_V2_BUFFER_SIZE}. */
  int UUID_BUFFER_SIZE = 96;

  /** {@code NVML_DEVICE_NAME_V2_BUFFER_SIZE}. */
  int NAME_BUFFER_SIZE = 96;

  /** {@code NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE}. */
  int DRIVER_VERSION_BUFFER_SIZE = 80;

  /** {@code NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE}. */
  int PCI_BUS_ID_BUFFER_SIZE = 32;

  /** {@code NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE}. */
  int PCI_BUS_ID_LEGACY_BUFFER_SIZE = 16;

  /** {@code NVML_GPU_INSTANCE_PROFILE_COUNT} in the header we build against. */
  int GPU_INSTANCE_PROFILE_COUNT = 10;

  /** {@code NVML_COMPUTE_INSTANCE_PROFILE_COUNT} in the header we build against. */
  int COMPUTE_INSTANCE_PROFILE_COUNT = 8;

  /** {@code NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED}. */
  int COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED = 0;

  int nvmlInit_v2();

  int nvmlShutdown();

  String nvmlErrorString(int result);

  int nvmlSystemGetDriverVersion(byte[] version, int length);

  int nvmlSystemGetCudaDriverVersion_v2(IntByReference cudaDriverVersion);

  int nvmlDeviceGetCount_v2(IntByReference deviceCount);

  int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

  int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

  int nvmlDeviceGetName(Pointer device, byte[] name, int length);

  int nvmlDeviceGetBrand(Pointer device, IntByReference type);

  int nvmlDeviceGetArchitecture(Pointer device, IntByReference arch);

  int nvmlDeviceGetCudaComputeCapability(
      Pointer device, IntByReference major, IntByReference minor);

  int nvmlDeviceGetMemoryInfo(Pointer device, MemoryInfo memory);

  int nvmlDeviceGetPciInfo_v3(Pointer device, PciInfo pci);

  int nvmlDeviceGetMinorNumber(Pointer device, IntByReference minorNumber);

  int nvmlDeviceGetMigMode(Pointer device, IntByReference currentMode, IntByReference pendingMode);

  int nvmlDeviceGetGpuInstanceProfileInfoV(
      Pointer device, int profile, GpuInstanceProfileInfoV2 info);

  /**
   * With {@code placements == null}, only {@code count} is filled; otherwise {@code placements}
   * must be a contiguous array ({@link Structure#toArray(int)}) of {@code count} elements.
   */
  int nvmlDeviceGetGpuInstancePossiblePlacements_v2(
      Pointer device, int profileId, GpuInstancePlacement[] placements, IntByReference count);

  int nvmlDeviceGetGpuInstanceRemainingCapacity(
      Pointer device, int profileId, IntByReference count);

  int nvmlDeviceCreateGpuInstanceWithPlacement(
      Pointer device,
      int profileId,
      GpuInstancePlacement.ByReference placement,
      PointerByReference gpuInstance);

  int nvmlGpuInstanceDestroy(Pointer gpuInstance);

  int nvmlDeviceGetGpuInstanceById(Pointer device, int id, PointerByReference gpuInstance);

  /**
   * {@code gpuInstances} is an array of {@code nvmlGpuInstance_t} with room for the profile's
   * instance count; {@code count} returns how many were written.
   */
  int nvmlDeviceGetGpuInstances(
      Pointer device, int profileId, Pointer gpuInstances, IntByReference count);

  int nvmlGpuInstanceGetInfo(Pointer gpuInstance, GpuInstanceInfo info);

  int nvmlGpuInstanceGetComputeInstanceProfileInfoV(
      Pointer gpuInstance, int profile, int engProfile, ComputeInstanceProfileInfoV2 info);

  int nvmlGpuInstanceGetComputeInstanceRemainingCapacity(
      Pointer gpuInstance, int profileId, IntByReference count);

  int nvmlGpuInstanceCreateComputeInstance(
      Pointer gpuInstance, int profileId, PointerByReference computeInstance);

  int nvmlComputeInstanceDestroy(Pointer computeInstance);

  /** Like {@link #nvmlDeviceGetGpuInstances}, for the compute instances of one profile. */
  int nvmlGpuInstanceGetComputeInstances(
      Pointer gpuInstance, int profileId, Pointer computeInstances, IntByReference count);

  int nvmlGpuInstanceGetComputeInstanceById(
      Pointer gpuInstance, int id, PointerByReference computeInstance);

  int nvmlComputeInstanceGetInfo_v2(Pointer computeInstance, ComputeInstanceInfo info);

  int nvmlDeviceGetMaxMigDeviceCount(Pointer device, IntByReference count);

  int nvmlDeviceGetMigDeviceHandleByIndex(Pointer device, int index, PointerByReference migDevice);

  int nvmlDeviceGetGpuInstanceId(Pointer device, IntByReference id);

  int nvmlDeviceGetComputeInstanceId(Pointer device, IntByReference id);

  // Events (nvml.h 12.4). Operations on one set are not thread-safe: NvmlEventSet confines a set
  // to one thread. Registration and waiting take the parent GPU's handle, also for MIG.

  int nvmlEventSetCreate(PointerByReference set);

  int nvmlDeviceGetSupportedEventTypes(Pointer device, LongByReference eventTypes);

  int nvmlDeviceRegisterEvents(Pointer device, long eventTypes, Pointer set);

  int nvmlEventSetWait_v2(Pointer set, EventData data, int timeoutMillis);

  int nvmlEventSetFree(Pointer set);

  /** {@code nvmlMemory_t}. */
  @Structure.FieldOrder({"total", "free", "used"})
  final class MemoryInfo extends NvmlStructure {
    public long total;
    public long free;
    public long used;
  }

  /** {@code nvmlPciInfo_t} (filled by {@code nvmlDeviceGetPciInfo_v3}). */
  @Structure.FieldOrder({
    "busIdLegacy",
    "domain",
    "bus",
    "device",
    "pciDeviceId",
    "pciSubSystemId",
    "busId"
  })
  final class PciInfo extends NvmlStructure {
    public byte[] busIdLegacy = new byte[PCI_BUS_ID_LEGACY_BUFFER_SIZE];
    public int domain;
    public int bus;
    public int device;
    public int pciDeviceId;
    public int pciSubSystemId;
    public byte[] busId = new byte[PCI_BUS_ID_BUFFER_SIZE];
  }

  /** {@code nvmlGpuInstancePlacement_t}. */
  @Structure.FieldOrder({"start", "size"})
  class GpuInstancePlacement extends NvmlStructure {
    public int start;
    public int size;

    /** Passed as {@code const nvmlGpuInstancePlacement_t *}. */
    public static final class ByReference extends GpuInstancePlacement
        implements Structure.ByReference {}
  }

  /** {@code nvmlGpuInstanceProfileInfo_v2_t}; {@code version} must be set before the call. */
  @Structure.FieldOrder({
    "version",
    "id",
    "isP2pSupported",
    "sliceCount",
    "instanceCount",
    "multiprocessorCount",
    "copyEngineCount",
    "decoderCount",
    "encoderCount",
    "jpegCount",
    "ofaCount",
    "memorySizeMB",
    "name"
  })
  final class GpuInstanceProfileInfoV2 extends NvmlStructure {
    public int version;
    public int id;
    public int isP2pSupported;
    public int sliceCount;
    public int instanceCount;
    public int multiprocessorCount;
    public int copyEngineCount;
    public int decoderCount;
    public int encoderCount;
    public int jpegCount;
    public int ofaCount;
    public long memorySizeMB;
    public byte[] name = new byte[NAME_BUFFER_SIZE];

    /** A structure with {@code version} set as {@code nvmlGpuInstanceProfileInfo_v2} does. */
    public static GpuInstanceProfileInfoV2 versioned() {
      GpuInstanceProfileInfoV2 info = new GpuInstanceProfileInfoV2();
      info.version = info.size() | (2 << 24);
      return info;
    }
  }

  /** {@code nvmlGpuInstanceInfo_t}. */
  @Structure.FieldOrder({"device", "id", "profileId", "placement"})
  final class GpuInstanceInfo extends NvmlStructure {
    public Pointer device;
    public int id;
    public int profileId;
    public GpuInstancePlacement placement;
  }

  /** {@code nvmlComputeInstancePlacement_t}. */
  @Structure.FieldOrder({"start", "size"})
  final class ComputeInstancePlacement extends NvmlStructure {
    public int start;
    public int size;
  }

  /** {@code nvmlComputeInstanceProfileInfo_v2_t}; {@code version} must be set before the call. */
  @Structure.FieldOrder({
    "version",
    "id",
    "sliceCount",
    "instanceCount",
    "multiprocessorCount",
    "sharedCopyEngineCount",
    "sharedDecoderCount",
    "sharedEncoderCount",
    "sharedJpegCount",
    "sharedOfaCount",
    "name"
  })
  final class ComputeInstanceProfileInfoV2 extends NvmlStructure {
    public int version;
    public int id;
    public int sliceCount;
    public int instanceCount;
    public int multiprocessorCount;
    public int sharedCopyEngineCount;
    public int sharedDecoderCount;
    public int sharedEncoderCount;
    public int sharedJpegCount;
    public int sharedOfaCount;
    public byte[] name = new byte[NAME_BUFFER_SIZE];

    /** A structure with {@code version} set as {@code nvmlComputeInstanceProfileInfo_v2} does. */
    public static ComputeInstanceProfileInfoV2 versioned() {
      ComputeInstanceProfileInfoV2 info = new ComputeInstanceProfileInfoV2();
      info.version = info.size() | (2 << 24);
      return info;
    }
  }

  /** {@code nvmlComputeInstanceInfo_t}. */
  @Structure.FieldOrder({"device", "gpuInstance", "id", "profileId", "placement"})
  final class ComputeInstanceInfo extends NvmlStructure {
    public Pointer device;
    public Pointer gpuInstance;
    public int id;
    public int profileId;
    public ComputeInstancePlacement placement;
  }

  /** {@code nvmlEventData_t}. */
  @Structure.FieldOrder({"device", "eventType", "eventData", "gpuInstanceId", "computeInstanceId"})
  final class EventData extends NvmlStructure {
    public Pointer device;
    public long eventType;

    /** The XID for an XID critical error (999: an XID the driver does not know), else 0. */
    public long eventData;

    /** {@code 0xFFFFFFFF} unless MIG is on and the XID is attributable to a GPU instance. */
    public int gpuInstanceId;

    /** {@code 0xFFFFFFFF} unless the XID is attributable to a compute instance. */
    public int computeInstanceId;
  }
}
