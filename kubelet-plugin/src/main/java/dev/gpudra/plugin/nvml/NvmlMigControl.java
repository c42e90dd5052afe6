package dev.gpudra.plugin.mig;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import dev.gpudra.nvml.NvmlSession;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@link MigControl} through an open NVML session. GPU UUIDs are mapped to NVML indices once, from
 * the inventory discovered at start-up (indices hold for the boot, which is also the checkpoint's
 * lifetime). Thread-safe: the session serialises its calls.
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
    return session.gpuInstances(index(gpuUuid));
  }

  @Override
  public Optional<RawGpuInstance> gpuInstance(String gpuUuid, int gpuInstanceId) {
    return session.gpuInstance(index(gpuUuid), gpuInstanceId);
  }

  @Override
  public int createGpuInstance(String gpuUuid, int profileId, MigPlacement placement) {
    return session.createGpuInstance(index(gpuUuid), profileId, placement);
  }

  @Override
  public int createFullComputeInstance(String gpuUuid, int gpuInstanceId) {
    return session.createFullComputeInstance(index(gpuUuid), gpuInstanceId);
  }

  @Override
  public Optional<String> migDeviceUuid(String gpuUuid, int gpuInstanceId, int computeInstanceId) {
    return session.migDeviceUuid(index(gpuUuid), gpuInstanceId, computeInstanceId);
  }

  @Override
  public void destroyComputeInstance(String gpuUuid, int gpuInstanceId, int computeInstanceId) {
    session.destroyComputeInstance(index(gpuUuid), gpuInstanceId, computeInstanceId);
  }

  @Override
  public void destroyGpuInstance(String gpuUuid, int gpuInstanceId) {
    session.destroyGpuInstance(index(gpuUuid), gpuInstanceId);
  }
}
