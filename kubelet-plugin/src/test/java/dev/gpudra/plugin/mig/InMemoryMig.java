package dev.gpudra.plugin.mig;

import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.nvml.RawComputeInstance;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import dev.gpudra.core.device.nvml.RawPlacement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * MIG instances of GPUs in memory, with NVML's rules that dynamic MIG relies on: overlapping
 * placements are refused with {@code NVML_ERROR_INSUFFICIENT_RESOURCES}, new instances take the
 * smallest free id, a GPU instance holds one full compute instance, and a GPU instance with a
 * compute instance cannot be destroyed ({@code NVML_ERROR_IN_USE}). Calls can be made to fail. Not
 * thread-safe; single-threaded tests only.
 */
final class InMemoryMig implements MigControl {

  static final int INVALID_ARGUMENT = 2;
  static final int NOT_FOUND = 6;
  static final int IN_USE = 19;
  static final int INSUFFICIENT_RESOURCES = 23;
  static final int UNKNOWN = 999;

  private record Gi(int id, int profileId, MigPlacement placement, List<Integer> cis) {}

  private final Map<String, Map<Integer, Gi>> gpus = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final List<String> calls = new ArrayList<>();

  /** Adds an empty GPU in MIG mode. */
  InMemoryMig gpu(String uuid) {
    gpus.put(uuid, new TreeMap<>());
    return this;
  }

  /** The next call of {@code operation} (a method name of {@link MigControl}) fails with code. */
  void failNext(String operation, int code) {
    failures.put(operation, code);
  }

  /** Calls that changed something, as {@code operation gpu gi[/ci]}, in order. */
  List<String> changes() {
    return List.copyOf(calls);
  }

  private void maybeFail(String operation) {
    Integer code = failures.remove(operation);
    if (code != null) {
      throw new MigControlException(operation, code, "injected failure");
    }
  }

  // Sorted by id, as NVML lists them.
  private Map<Integer, Gi> of(String gpu) {
    Map<Integer, Gi> instances = gpus.get(gpu);
    if (instances == null) {
      throw new IllegalArgumentException("no GPU " + gpu);
    }
    return instances;
  }

  private static int smallestFree(java.util.Collection<Integer> used) {
    int id = 0;
    while (used.contains(id)) {
      id++;
    }
    return id;
  }

  private static RawGpuInstance raw(Gi gi) {
    return new RawGpuInstance(
        gi.id(),
        gi.profileId(),
        new RawPlacement(gi.placement().start(), gi.placement().size()),
        gi.cis().stream().map(ci -> new RawComputeInstance(ci, 0, gi.placement().size())).toList());
  }

  @Override
  public List<RawGpuInstance> gpuInstances(String gpuUuid) {
    maybeFail("gpuInstances");
    return of(gpuUuid).values().stream().map(InMemoryMig::raw).toList();
  }

  @Override
  public Optional<RawGpuInstance> gpuInstance(String gpuUuid, int gpuInstanceId) {
    maybeFail("gpuInstance");
    return Optional.ofNullable(of(gpuUuid).get(gpuInstanceId)).map(InMemoryMig::raw);
  }

  @Override
  public int createGpuInstance(String gpuUuid, int profileId, MigPlacement placement) {
    maybeFail("createGpuInstance");
    Map<Integer, Gi> instances = of(gpuUuid);
    if (instances.values().stream().anyMatch(gi -> gi.placement().overlaps(placement))) {
      throw new MigControlException(
          "nvmlDeviceCreateGpuInstanceWithPlacement",
          INSUFFICIENT_RESOURCES,
          "Insufficient Resources");
    }
    int id = smallestFree(instances.keySet());
    instances.put(id, new Gi(id, profileId, placement, new ArrayList<>()));
    calls.add("createGpuInstance " + gpuUuid + " " + id);
    return id;
  }

  /** Adds a GPU instance with a full compute instance, as an administrator would. */
  int existing(String gpuUuid, int profileId, MigPlacement placement) {
    int gi = createGpuInstance(gpuUuid, profileId, placement);
    createFullComputeInstance(gpuUuid, gi);
    calls.clear();
    return gi;
  }

  @Override
  public int createFullComputeInstance(String gpuUuid, int gpuInstanceId) {
    maybeFail("createFullComputeInstance");
    Gi gi = of(gpuUuid).get(gpuInstanceId);
    if (gi == null) {
      throw new MigControlException("nvmlDeviceGetGpuInstanceById", NOT_FOUND, "Not Found");
    }
    if (!gi.cis().isEmpty()) {
      throw new MigControlException(
          "nvmlGpuInstanceCreateComputeInstance", INSUFFICIENT_RESOURCES, "Insufficient Resources");
    }
    gi.cis().add(0);
    calls.add("createFullComputeInstance " + gpuUuid + " " + gpuInstanceId + "/0");
    return 0;
  }

  @Override
  public Optional<String> migDeviceUuid(String gpuUuid, int gpuInstanceId, int computeInstanceId) {
    maybeFail("migDeviceUuid");
    Gi gi = of(gpuUuid).get(gpuInstanceId);
    if (gi == null || !gi.cis().contains(computeInstanceId)) {
      return Optional.empty();
    }
    return Optional.of(uuid(gpuUuid, gpuInstanceId));
  }

  /** The UUID the MIG device of GPU instance {@code gi} on {@code gpuUuid} has. */
  static String uuid(String gpuUuid, int gi) {
    return String.format(
        "MIG-%s-0000-4000-8000-%012d", gpuUuid.substring(gpuUuid.length() - 8), gi);
  }

  @Override
  public void destroyComputeInstance(String gpuUuid, int gpuInstanceId, int computeInstanceId) {
    maybeFail("destroyComputeInstance");
    Gi gi = of(gpuUuid).get(gpuInstanceId);
    if (gi == null || !gi.cis().remove(Integer.valueOf(computeInstanceId))) {
      throw new MigControlException(
          "nvmlComputeInstanceDestroy", INVALID_ARGUMENT, "Invalid Argument");
    }
    calls.add("destroyComputeInstance " + gpuUuid + " " + gpuInstanceId + "/" + computeInstanceId);
  }

  @Override
  public void destroyGpuInstance(String gpuUuid, int gpuInstanceId) {
    maybeFail("destroyGpuInstance");
    Gi gi = of(gpuUuid).get(gpuInstanceId);
    if (gi == null) {
      throw new MigControlException("nvmlDeviceGetGpuInstanceById", NOT_FOUND, "Not Found");
    }
    if (!gi.cis().isEmpty()) {
      throw new MigControlException("nvmlGpuInstanceDestroy", IN_USE, "In use by another client");
    }
    of(gpuUuid).remove(gpuInstanceId);
    calls.add("destroyGpuInstance " + gpuUuid + " " + gpuInstanceId);
  }
}
