package dev.gpudra.plugin.mig;

import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import java.util.List;
import java.util.Optional;

/**
 * The node's MIG instances, as far as dynamic MIG needs them: GPUs are addressed by UUID, GPU and
 * compute instances by their ids. Failures are {@link MigControlException}s carrying the driver's
 * function, code and message. Implementations are thread-safe.
 */
public interface MigControl {

  /** Every GPU instance of the GPU, with its compute instances. */
  List<RawGpuInstance> gpuInstances(String gpuUuid);

  /** GPU instance {@code gpuInstanceId}; empty when there is none. */
  Optional<RawGpuInstance> gpuInstance(String gpuUuid, int gpuInstanceId);

  /**
   * Creates a GPU instance of profile {@code profileId} at exactly {@code placement}.
   *
   * @return its id
   */
  int createGpuInstance(String gpuUuid, int profileId, MigPlacement placement);

  /**
   * Creates the compute instance that fills GPU instance {@code gpuInstanceId}.
   *
   * @return its id
   */
  int createFullComputeInstance(String gpuUuid, int gpuInstanceId);

  /** UUID of the MIG device a compute instance is; empty when there is none. */
  Optional<String> migDeviceUuid(String gpuUuid, int gpuInstanceId, int computeInstanceId);

  /** Destroys one compute instance. */
  void destroyComputeInstance(String gpuUuid, int gpuInstanceId, int computeInstanceId);

  /** Destroys a GPU instance that has no compute instance left. */
  void destroyGpuInstance(String gpuUuid, int gpuInstanceId);
}
