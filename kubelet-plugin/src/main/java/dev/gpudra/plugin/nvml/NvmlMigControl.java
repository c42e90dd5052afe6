package dev.gpudra.plugin.nvml;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import dev.gpudra.nvml.NvmlException;
import dev.gpudra.nvml.NvmlSession;
import dev.gpudra.plugin.mig.MigControl;
import dev.gpudra.plugin.mig.MigControlException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@link MigControl} through an open NVML session. GPU UUIDs are mapped to NVML indices once, from
 * the inventory discovered at start-up (indices hold for the boot, which is also the checkpoint's
 * lifetime). NVML's errors become {@link MigControlException}s here, so that nothing past this
 * adapter knows NVML. Thread-safe: the session serialises its calls.
 */
public final class NvmlMigControl implements MigControl {

  private final NvmlSession session;
  private final Map<String, Integer> indexByUuid;

  /**
   * @param session an open session, closed by its owner after this is no longer used
   * @param inventory the GPUs discovered through that session
   */
  public NvmlMigControl(NvmlSession session, NodeInventory inventory) {
    this.session = Objects.requireNonNull(session, "session");
    this.indexByUuid =
        inventory.gpus().stream().collect(Collectors.toUnmodifiableMap(Gpu::uuid, Gpu::index));
  }

  private int index(String gpuUuid) {
    Integer index = indexByUuid.get(gpuUuid);
    if (index == null) {
      throw new IllegalArgumentException("GPU " + gpuUuid + " was not discovered on this node");
    }
    return index;
  }

  @Override
  public List<RawGpuInstance> gpuInstances(String gpuUuid) {
    return call(() -> session.gpuInstances(index(gpuUuid)));
  }

  @Override
  public Optional<RawGpuInstance> gpuInstance(String gpuUuid, int gpuInstanceId) {
    return call(() -> session.gpuInstance(index(gpuUuid), gpuInstanceId));
  }

  @Override
  public int createGpuInstance(String gpuUuid, int profileId, MigPlacement placement) {
    return call(() -> session.createGpuInstance(index(gpuUuid), profileId, placement));
  }

  @Override
  public int createFullComputeInstance(String gpuUuid, int gpuInstanceId) {
    return call(() -> session.createFullComputeInstance(index(gpuUuid), gpuInstanceId));
  }

  @Override
  public Optional<String> migDeviceUuid(String gpuUuid, int gpuInstanceId, int computeInstanceId) {
    return call(() -> session.migDeviceUuid(index(gpuUuid), gpuInstanceId, computeInstanceId));
  }

  @Override
  public void destroyComputeInstance(String gpuUuid, int gpuInstanceId, int computeInstanceId) {
    call(
        () -> {
          session.destroyComputeInstance(index(gpuUuid), gpuInstanceId, computeInstanceId);
          return null;
        });
  }

  @Override
  public void destroyGpuInstance(String gpuUuid, int gpuInstanceId) {
    call(
        () -> {
          session.destroyGpuInstance(index(gpuUuid), gpuInstanceId);
          return null;
        });
  }

  private static <T> T call(Supplier<T> nvml) {
    try {
      return nvml.get();
    } catch (NvmlException e) {
      throw new MigControlException(e.function(), e.code(), e.nvmlMessage(), e);
    }
  }
}
