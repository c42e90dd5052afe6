package dev.gpudra.nvml;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.nvml.RawComputeInstance;
import dev.gpudra.core.device.nvml.RawGpu;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import dev.gpudra.core.device.nvml.RawGpuInstanceProfile;
import dev.gpudra.core.device.nvml.RawMigDevice;
import dev.gpudra.core.device.nvml.RawPlacement;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One initialised use of NVML: {@link #open} calls {@code nvmlInit_v2}, {@link #close} calls {@code
 * nvmlShutdown} exactly once. Every answer leaves as a plain value; native handles never do, so
 * nothing outside can use a handle after shutdown. GPUs are addressed by NVML index, GPU and
 * compute instances by their ids.
 *
 * <p>Thread-safe: calls are serialised on the session. NVML itself is thread-safe, but MIG changes
 * must not interleave (two creations racing for one placement), and discovery is not on a hot path.
 */
public final class NvmlSession implements AutoCloseable {

  /** Only profile queries that mean "this GPU has no such profile" are skipped. */
  private static final List<Integer> PROFILE_ABSENT =
      List.of(
          NvmlReturn.ERROR_NOT_SUPPORTED,
          NvmlReturn.ERROR_INVALID_ARGUMENT,
          NvmlReturn.ERROR_NOT_FOUND);

  private final NvmlLibrary nvml;
  private boolean open = true;

  private NvmlSession(NvmlLibrary nvml) {
    this.nvml = nvml;
  }

  /**
   * Initialises NVML.
   *
   * @throws NvmlException when {@code nvmlInit_v2} fails (driver not loaded, no permission...)
   */
  public static NvmlSession open(NvmlLibrary nvml) {
    int rc = nvml.nvmlInit_v2();
    if (rc != NvmlReturn.SUCCESS) {
      throw NvmlException.of("nvmlInit_v2", rc, errorString(nvml, rc));
    }
    return new NvmlSession(nvml);
  }

  /** Shuts NVML down; later calls on this session fail. Closing twice is harmless. */
  @Override
  public synchronized void close() {
    if (!open) {
      return;
    }
    open = false;
    check("nvmlShutdown", nvml.nvmlShutdown());
  }

  /** {@code nvmlSystemGetDriverVersion}, e.g. {@code 550.54.15}. */
  public synchronized String driverVersion() {
    ensureOpen();
    return queryString(
        "nvmlSystemGetDriverVersion",
        NvmlLibrary.DRIVER_VERSION_BUFFER_SIZE,
        nvml::nvmlSystemGetDriverVersion);
  }

  /** {@code nvmlSystemGetCudaDriverVersion_v2}, e.g. 12040. */
  public synchronized int cudaDriverVersion() {
    ensureOpen();
    IntByReference version = new IntByReference();
    check("nvmlSystemGetCudaDriverVersion_v2", nvml.nvmlSystemGetCudaDriverVersion_v2(version));
    return version.getValue();
  }

  /** {@code nvmlDeviceGetCount_v2}: GPUs the driver sees, MIG devices not counted. */
  public synchronized int deviceCount() {
    ensureOpen();
    IntByReference count = new IntByReference();
    check("nvmlDeviceGetCount_v2", nvml.nvmlDeviceGetCount_v2(count));
    return count.getValue();
  }

  /**
   * Reads everything about one GPU: identity, memory, PCI address, MIG mode, its GPU-instance
   * profiles with their placements, and its existing MIG devices.
   *
   * @throws NvmlException naming the first call that failed
   */
  public synchronized RawGpu readGpu(int index) {
    ensureOpen();
    Pointer device = device(index);
    String uuid = uuid(device);
    String name =
        queryString(
            "nvmlDeviceGetName",
            NvmlLibrary.NAME_BUFFER_SIZE,
            (buffer, length) -> nvml.nvmlDeviceGetName(device, buffer, length));
    IntByReference brand = new IntByReference();
    check("nvmlDeviceGetBrand", nvml.nvmlDeviceGetBrand(device, brand));
    IntByReference architecture = new IntByReference();
    check("nvmlDeviceGetArchitecture", nvml.nvmlDeviceGetArchitecture(device, architecture));
    IntByReference ccMajor = new IntByReference();
    IntByReference ccMinor = new IntByReference();
    check(
        "nvmlDeviceGetCudaComputeCapability",
        nvml.nvmlDeviceGetCudaComputeCapability(device, ccMajor, ccMinor));
    NvmlLibrary.MemoryInfo memory = new NvmlLibrary.MemoryInfo();
    check("nvmlDeviceGetMemoryInfo", nvml.nvmlDeviceGetMemoryInfo(device, memory));
    NvmlLibrary.PciInfo pci = new NvmlLibrary.PciInfo();
    check("nvmlDeviceGetPciInfo_v3", nvml.nvmlDeviceGetPciInfo_v3(device, pci));
    IntByReference minor = new IntByReference();
    check("nvmlDeviceGetMinorNumber", nvml.nvmlDeviceGetMinorNumber(device, minor));

    IntByReference migCurrent = new IntByReference();
    IntByReference migPending = new IntByReference();
    int migRc = nvml.nvmlDeviceGetMigMode(device, migCurrent, migPending);
    boolean migCapable = migRc == NvmlReturn.SUCCESS;
    if (!migCapable && migRc != NvmlReturn.ERROR_NOT_SUPPORTED) {
      check("nvmlDeviceGetMigMode", migRc);
    }
    List<RawGpuInstanceProfile> profiles = migCapable ? profiles(device) : List.of();
    List<RawMigDevice> migDevices =
        migCapable && migCurrent.getValue() == 1 ? migDevices(device) : List.of();

    return new RawGpu(
        index,
        minor.getValue(),
        uuid,
        name,
        brand.getValue(),
        architecture.getValue(),
        ccMajor.getValue(),
        ccMinor.getValue(),
        memory.total,
        text(pci.busId),
        migCapable,
        migCapable ? migCurrent.getValue() : 0,
        migCapable ? migPending.getValue() : 0,
        profiles,
        migDevices);
  }

  /** {@code nvmlDeviceGetGpuInstanceRemainingCapacity} for a profile id. */
  public synchronized int remainingGpuInstanceCapacity(int gpuIndex, int profileId) {
    ensureOpen();
    IntByReference count = new IntByReference();
    check(
        "nvmlDeviceGetGpuInstanceRemainingCapacity",
        nvml.nvmlDeviceGetGpuInstanceRemainingCapacity(device(gpuIndex), profileId, count));
    return count.getValue();
  }

  /**
   * Creates a GPU instance of a profile at a placement.
   *
   * @param profileId the profile's id (not its NVML enum index)
   * @return the new GPU instance's id
   */
  public synchronized int createGpuInstance(int gpuIndex, int profileId, MigPlacement placement) {
    ensureOpen();
    NvmlLibrary.GpuInstancePlacement.ByReference where =
        new NvmlLibrary.GpuInstancePlacement.ByReference();
    where.start = placement.start();
    where.size = placement.size();
    PointerByReference instance = new PointerByReference();
    check(
        "nvmlDeviceCreateGpuInstanceWithPlacement",
        nvml.nvmlDeviceCreateGpuInstanceWithPlacement(
            device(gpuIndex), profileId, where, instance));
    return gpuInstanceInfo(instance.getValue()).id;
  }

  /** Destroys a GPU instance; its compute instances must be gone first, as NVML requires. */
  public synchronized void destroyGpuInstance(int gpuIndex, int gpuInstanceId) {
    ensureOpen();
    check(
        "nvmlGpuInstanceDestroy",
        nvml.nvmlGpuInstanceDestroy(gpuInstance(device(gpuIndex), gpuInstanceId)));
  }

  /**
   * Creates a compute instance inside a GPU instance.
   *
   * @param profileIndex the {@code NVML_COMPUTE_INSTANCE_PROFILE_*} value
   * @return the new compute instance's id
   */
  public synchronized int createComputeInstance(int gpuIndex, int gpuInstanceId, int profileIndex) {
    ensureOpen();
    Pointer gpuInstance = gpuInstance(device(gpuIndex), gpuInstanceId);
    NvmlLibrary.ComputeInstanceProfileInfoV2 profile =
        NvmlLibrary.ComputeInstanceProfileInfoV2.versioned();
    check(
        "nvmlGpuInstanceGetComputeInstanceProfileInfoV",
        nvml.nvmlGpuInstanceGetComputeInstanceProfileInfoV(
            gpuInstance,
            profileIndex,
            NvmlLibrary.COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED,
            profile));
    PointerByReference instance = new PointerByReference();
    check(
        "nvmlGpuInstanceCreateComputeInstance",
        nvml.nvmlGpuInstanceCreateComputeInstance(gpuInstance, profile.id, instance));
    NvmlLibrary.ComputeInstanceInfo info = new NvmlLibrary.ComputeInstanceInfo();
    check(
        "nvmlComputeInstanceGetInfo_v2",
        nvml.nvmlComputeInstanceGetInfo_v2(instance.getValue(), info));
    return info.id;
  }

  /** Destroys one compute instance. */
  public synchronized void destroyComputeInstance(
      int gpuIndex, int gpuInstanceId, int computeInstanceId) {
    ensureOpen();
    Pointer gpuInstance = gpuInstance(device(gpuIndex), gpuInstanceId);
    PointerByReference instance = new PointerByReference();
    check(
        "nvmlGpuInstanceGetComputeInstanceById",
        nvml.nvmlGpuInstanceGetComputeInstanceById(gpuInstance, computeInstanceId, instance));
    check("nvmlComputeInstanceDestroy", nvml.nvmlComputeInstanceDestroy(instance.getValue()));
  }

  /**
   * Every GPU instance of a GPU in MIG mode, with its compute instances, sorted by id. Unlike
   * {@link #readGpu}'s MIG devices this includes GPU instances without a compute instance.
   */
  public synchronized List<RawGpuInstance> gpuInstances(int gpuIndex) {
    ensureOpen();
    Pointer device = device(gpuIndex);
    List<RawGpuInstance> instances = new ArrayList<>();
    for (int index = 0; index < NvmlLibrary.GPU_INSTANCE_PROFILE_COUNT; index++) {
      NvmlLibrary.GpuInstanceProfileInfoV2 info = NvmlLibrary.GpuInstanceProfileInfoV2.versioned();
      int rc = nvml.nvmlDeviceGetGpuInstanceProfileInfoV(device, index, info);
      if (PROFILE_ABSENT.contains(rc)) {
        continue;
      }
      check("nvmlDeviceGetGpuInstanceProfileInfoV", rc);
      if (info.instanceCount == 0) {
        continue;
      }
      Memory handles = new Memory((long) Native.POINTER_SIZE * info.instanceCount);
      IntByReference count = new IntByReference(info.instanceCount);
      check(
          "nvmlDeviceGetGpuInstances",
          nvml.nvmlDeviceGetGpuInstances(device, info.id, handles, count));
      for (Pointer handle : handles.getPointerArray(0, count.getValue())) {
        instances.add(gpuInstance(handle));
      }
    }
    instances.sort(java.util.Comparator.comparingInt(RawGpuInstance::id));
    return instances;
  }

  /** The GPU instance {@code gpuInstanceId} of a GPU in MIG mode; empty when there is none. */
  public synchronized Optional<RawGpuInstance> gpuInstance(int gpuIndex, int gpuInstanceId) {
    ensureOpen();
    PointerByReference instance = new PointerByReference();
    int rc = nvml.nvmlDeviceGetGpuInstanceById(device(gpuIndex), gpuInstanceId, instance);
    if (rc == NvmlReturn.ERROR_NOT_FOUND) {
      return Optional.empty();
    }
    check("nvmlDeviceGetGpuInstanceById", rc);
    return Optional.of(gpuInstance(instance.getValue()));
  }

  /**
   * Creates a compute instance of the largest compute-instance profile the GPU instance offers, the
   * one that fills it ({@code nvidia-smi mig -cci} without a profile does the same).
   *
   * @return the new compute instance's id
   */
  public synchronized int createFullComputeInstance(int gpuIndex, int gpuInstanceId) {
    ensureOpen();
    Pointer gpuInstance = gpuInstance(device(gpuIndex), gpuInstanceId);
    NvmlLibrary.ComputeInstanceProfileInfoV2 full = null;
    for (NvmlLibrary.ComputeInstanceProfileInfoV2 profile : computeProfiles(gpuInstance)) {
      if (full == null || profile.sliceCount > full.sliceCount) {
        full = profile;
      }
    }
    if (full == null) {
      throw new NvmlException(
          "nvmlGpuInstanceGetComputeInstanceProfileInfoV",
          NvmlReturn.ERROR_NOT_SUPPORTED,
          "GPU instance " + gpuInstanceId + " offers no compute-instance profile");
    }
    PointerByReference instance = new PointerByReference();
    check(
        "nvmlGpuInstanceCreateComputeInstance",
        nvml.nvmlGpuInstanceCreateComputeInstance(gpuInstance, full.id, instance));
    NvmlLibrary.ComputeInstanceInfo info = new NvmlLibrary.ComputeInstanceInfo();
    check(
        "nvmlComputeInstanceGetInfo_v2",
        nvml.nvmlComputeInstanceGetInfo_v2(instance.getValue(), info));
    return info.id;
  }

  /**
   * The UUID of the MIG device that compute instance {@code computeInstanceId} of GPU instance
   * {@code gpuInstanceId} is; empty when no such MIG device exists.
   */
  public synchronized Optional<String> migDeviceUuid(
      int gpuIndex, int gpuInstanceId, int computeInstanceId) {
    ensureOpen();
    Pointer device = device(gpuIndex);
    IntByReference max = new IntByReference();
    check("nvmlDeviceGetMaxMigDeviceCount", nvml.nvmlDeviceGetMaxMigDeviceCount(device, max));
    for (int i = 0; i < max.getValue(); i++) {
      PointerByReference handle = new PointerByReference();
      int rc = nvml.nvmlDeviceGetMigDeviceHandleByIndex(device, i, handle);
      if (rc == NvmlReturn.ERROR_NOT_FOUND) {
        continue;
      }
      check("nvmlDeviceGetMigDeviceHandleByIndex", rc);
      Pointer mig = handle.getValue();
      IntByReference gi = new IntByReference();
      check("nvmlDeviceGetGpuInstanceId", nvml.nvmlDeviceGetGpuInstanceId(mig, gi));
      IntByReference ci = new IntByReference();
      check("nvmlDeviceGetComputeInstanceId", nvml.nvmlDeviceGetComputeInstanceId(mig, ci));
      if (gi.getValue() == gpuInstanceId && ci.getValue() == computeInstanceId) {
        return Optional.of(uuid(mig));
      }
    }
    return Optional.empty();
  }

  /**
   * Asks the GPU for its UUID, the cheapest query that reaches the device: the periodic check for
   * what no event reports (a GPU that fell off the bus, or came back after a reset).
   *
   * @throws NvmlGpuLostException when the GPU is lost or needs a reset
   */
  public synchronized void checkResponds(int gpuIndex) {
    ensureOpen();
    uuid(device(gpuIndex));
  }

  /**
   * A new event set on this session. It must be closed before the session; it is confined to the
   * thread that waits on it (NVML's operations on one set are not thread-safe).
   *
   * @throws NvmlException when the driver offers no events (an old driver: {@code
   *     NVML_ERROR_NOT_SUPPORTED} or {@code NVML_ERROR_FUNCTION_NOT_FOUND})
   */
  public synchronized NvmlEventSet createEventSet() {
    ensureOpen();
    PointerByReference set = new PointerByReference();
    int rc;
    try {
      rc = nvml.nvmlEventSetCreate(set);
    } catch (UnsatisfiedLinkError e) {
      // A library without the symbol: the same as NVML saying the function does not exist.
      rc = NvmlReturn.ERROR_FUNCTION_NOT_FOUND;
    }
    check("nvmlEventSetCreate", rc);
    return new NvmlEventSet(this, nvml, set.getValue());
  }

  /** Handle of a GPU by index, for an event set of this session. */
  synchronized Pointer deviceHandle(int index) {
    ensureOpen();
    return device(index);
  }

  /** The message NVML gives for a return code. */
  String message(int rc) {
    return errorString(nvml, rc);
  }

  private RawGpuInstance gpuInstance(Pointer handle) {
    NvmlLibrary.GpuInstanceInfo info = gpuInstanceInfo(handle);
    List<RawComputeInstance> computeInstances = new ArrayList<>();
    for (NvmlLibrary.ComputeInstanceProfileInfoV2 profile : computeProfiles(handle)) {
      if (profile.instanceCount == 0) {
        continue;
      }
      Memory handles = new Memory((long) Native.POINTER_SIZE * profile.instanceCount);
      IntByReference count = new IntByReference(profile.instanceCount);
      check(
          "nvmlGpuInstanceGetComputeInstances",
          nvml.nvmlGpuInstanceGetComputeInstances(handle, profile.id, handles, count));
      for (Pointer ci : handles.getPointerArray(0, count.getValue())) {
        NvmlLibrary.ComputeInstanceInfo ciInfo = new NvmlLibrary.ComputeInstanceInfo();
        check("nvmlComputeInstanceGetInfo_v2", nvml.nvmlComputeInstanceGetInfo_v2(ci, ciInfo));
        computeInstances.add(
            new RawComputeInstance(ciInfo.id, ciInfo.profileId, profile.sliceCount));
      }
    }
    computeInstances.sort(java.util.Comparator.comparingInt(RawComputeInstance::id));
    return new RawGpuInstance(
        info.id,
        info.profileId,
        new RawPlacement(info.placement.start, info.placement.size),
        computeInstances);
  }

  // The compute-instance profiles a GPU instance offers (shared engines, as nvidia-smi creates).
  private List<NvmlLibrary.ComputeInstanceProfileInfoV2> computeProfiles(Pointer gpuInstance) {
    List<NvmlLibrary.ComputeInstanceProfileInfoV2> profiles = new ArrayList<>();
    for (int index = 0; index < NvmlLibrary.COMPUTE_INSTANCE_PROFILE_COUNT; index++) {
      NvmlLibrary.ComputeInstanceProfileInfoV2 info =
          NvmlLibrary.ComputeInstanceProfileInfoV2.versioned();
      int rc =
          nvml.nvmlGpuInstanceGetComputeInstanceProfileInfoV(
              gpuInstance, index, NvmlLibrary.COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, info);
      if (PROFILE_ABSENT.contains(rc)) {
        continue;
      }
      check("nvmlGpuInstanceGetComputeInstanceProfileInfoV", rc);
      profiles.add(info);
    }
    return profiles;
  }

  private List<RawGpuInstanceProfile> profiles(Pointer device) {
    List<RawGpuInstanceProfile> profiles = new ArrayList<>();
    for (int index = 0; index < NvmlLibrary.GPU_INSTANCE_PROFILE_COUNT; index++) {
      NvmlLibrary.GpuInstanceProfileInfoV2 info = NvmlLibrary.GpuInstanceProfileInfoV2.versioned();
      int rc = nvml.nvmlDeviceGetGpuInstanceProfileInfoV(device, index, info);
      if (PROFILE_ABSENT.contains(rc)) {
        continue;
      }
      check("nvmlDeviceGetGpuInstanceProfileInfoV", rc);
      profiles.add(
          new RawGpuInstanceProfile(
              index,
              info.id,
              info.sliceCount,
              info.instanceCount,
              info.multiprocessorCount,
              info.copyEngineCount,
              info.decoderCount,
              info.encoderCount,
              info.jpegCount,
              info.ofaCount,
              info.memorySizeMB,
              text(info.name),
              placements(device, info.id)));
    }
    return profiles;
  }

  private List<RawPlacement> placements(Pointer device, int profileId) {
    String function = "nvmlDeviceGetGpuInstancePossiblePlacements_v2";
    IntByReference count = new IntByReference();
    check(
        function,
        nvml.nvmlDeviceGetGpuInstancePossiblePlacements_v2(device, profileId, null, count));
    if (count.getValue() == 0) {
      return List.of();
    }
    NvmlLibrary.GpuInstancePlacement[] placements =
        (NvmlLibrary.GpuInstancePlacement[])
            new NvmlLibrary.GpuInstancePlacement().toArray(count.getValue());
    check(
        function,
        nvml.nvmlDeviceGetGpuInstancePossiblePlacements_v2(device, profileId, placements, count));
    List<RawPlacement> result = new ArrayList<>();
    for (int i = 0; i < count.getValue(); i++) {
      result.add(new RawPlacement(placements[i].start, placements[i].size));
    }
    return result;
  }

  private List<RawMigDevice> migDevices(Pointer device) {
    IntByReference max = new IntByReference();
    check("nvmlDeviceGetMaxMigDeviceCount", nvml.nvmlDeviceGetMaxMigDeviceCount(device, max));
    List<RawMigDevice> devices = new ArrayList<>();
    for (int i = 0; i < max.getValue(); i++) {
      PointerByReference handle = new PointerByReference();
      int rc = nvml.nvmlDeviceGetMigDeviceHandleByIndex(device, i, handle);
      if (rc == NvmlReturn.ERROR_NOT_FOUND) {
        continue; // an empty slot: MIG device indices are sparse
      }
      check("nvmlDeviceGetMigDeviceHandleByIndex", rc);
      Pointer mig = handle.getValue();
      IntByReference gpuInstanceId = new IntByReference();
      check("nvmlDeviceGetGpuInstanceId", nvml.nvmlDeviceGetGpuInstanceId(mig, gpuInstanceId));
      IntByReference computeInstanceId = new IntByReference();
      check(
          "nvmlDeviceGetComputeInstanceId",
          nvml.nvmlDeviceGetComputeInstanceId(mig, computeInstanceId));
      NvmlLibrary.MemoryInfo memory = new NvmlLibrary.MemoryInfo();
      check("nvmlDeviceGetMemoryInfo", nvml.nvmlDeviceGetMemoryInfo(mig, memory));
      NvmlLibrary.GpuInstanceInfo instance =
          gpuInstanceInfo(gpuInstance(device, gpuInstanceId.getValue()));
      devices.add(
          new RawMigDevice(
              uuid(mig),
              gpuInstanceId.getValue(),
              computeInstanceId.getValue(),
              instance.profileId,
              new RawPlacement(instance.placement.start, instance.placement.size),
              memory.total));
    }
    return devices;
  }

  private Pointer device(int index) {
    PointerByReference device = new PointerByReference();
    check("nvmlDeviceGetHandleByIndex_v2", nvml.nvmlDeviceGetHandleByIndex_v2(index, device));
    return device.getValue();
  }

  private Pointer gpuInstance(Pointer device, int gpuInstanceId) {
    PointerByReference instance = new PointerByReference();
    check(
        "nvmlDeviceGetGpuInstanceById",
        nvml.nvmlDeviceGetGpuInstanceById(device, gpuInstanceId, instance));
    return instance.getValue();
  }

  private NvmlLibrary.GpuInstanceInfo gpuInstanceInfo(Pointer gpuInstance) {
    NvmlLibrary.GpuInstanceInfo info = new NvmlLibrary.GpuInstanceInfo();
    check("nvmlGpuInstanceGetInfo", nvml.nvmlGpuInstanceGetInfo(gpuInstance, info));
    return info;
  }

  /** A query that fills a caller-provided character buffer. */
  @FunctionalInterface
  private interface StringQuery {
    int call(byte[] buffer, int length);
  }

  private String queryString(String function, int size, StringQuery query) {
    byte[] buffer = new byte[size];
    check(function, query.call(buffer, size));
    return text(buffer);
  }

  private String uuid(Pointer device) {
    return queryString(
        "nvmlDeviceGetUUID",
        NvmlLibrary.UUID_BUFFER_SIZE,
        (buffer, length) -> nvml.nvmlDeviceGetUUID(device, buffer, length));
  }

  private void ensureOpen() {
    if (!open) {
      throw new IllegalStateException("NVML session is closed");
    }
  }

  private void check(String function, int rc) {
    if (rc != NvmlReturn.SUCCESS) {
      throw NvmlException.of(function, rc, errorString(nvml, rc));
    }
  }

  private static String errorString(NvmlLibrary nvml, int rc) {
    String message = nvml.nvmlErrorString(rc);
    return message == null ? "unknown error" : message;
  }

  private static String text(byte[] buffer) {
    return Native.toString(buffer, StandardCharsets.UTF_8).trim();
  }
}
