package dev.gpudra.plugin.health;

import dev.gpudra.core.health.HealthTarget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the health monitor asks of the GPUs: an event watch, a probe per GPU, and the MIG instance
 * an event names. Implemented on NVML ({@code dev.gpudra.plugin.nvml.NvmlHealthProbe}); tests use
 * the same implementation on the mock NVML library.
 */
public interface GpuHealthProbe {

  /**
   * A GPU the monitor watches: its NVML index (what NVML answers with) and minor (device names).
   */
  record MonitoredGpu(int index, int minor) {}

  /** One event from a watch. */
  sealed interface Event permits Xid, OtherFault, SomeGpuLost {}

  /**
   * An XID on a GPU, pinned to a MIG instance when NVML knows which.
   *
   * @param gpuIndex NVML index of the (parent) GPU
   */
  record Xid(int gpuIndex, long xid, OptionalInt gpuInstanceId, OptionalInt computeInstanceId)
      implements Event {}

  /** Another registered event (ECC error...), logged and counted but no condition of its own. */
  record OtherFault(int gpuIndex, String description) implements Event {}

  /** NVML reported a GPU fell off the bus without saying which: every GPU must be probed. */
  record SomeGpuLost(String reason) implements Event {}

  /** The events of the GPUs, read by one thread. */
  interface Watch extends AutoCloseable {

    /** GPUs that could not be registered, with the reason (index to reason). */
    Map<Integer, String> unregistered();

    /** The next event within {@code timeout}, or empty. */
    Optional<Event> next(Duration timeout);

    @Override
    void close();
  }

  /** Health cannot be watched at all (an old driver without events), with a short code. */
  final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public UnavailableException(String code, String message, Throwable cause) {
      super(message, cause);
      this.code = code;
    }

    /** A label value naming the reason, e.g. {@code NotSupported}. */
    public String code() {
      return code;
    }
  }

  /**
   * Starts watching events of {@code gpus}.
   *
   * @throws UnavailableException when no event can be watched on this node
   */
  Watch watch(List<MonitoredGpu> gpus);

  /** Empty when the GPU answers; the reason when it is lost or needs a reset. */
  Optional<String> probe(MonitoredGpu gpu);

  /**
   * The MIG instance a GPU instance id (and compute instance id) stands for now; empty when the GPU
   * has no such instance (any longer).
   */
  Optional<HealthTarget.MigInstance> migInstance(
      MonitoredGpu gpu, int gpuInstanceId, OptionalInt computeInstanceId);
}
