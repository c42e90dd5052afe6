package dev.gpudra.plugin.nvml;

import dev.gpudra.core.health.HealthTarget;
import dev.gpudra.nvml.NvmlEvent;
import dev.gpudra.nvml.NvmlEventSet;
import dev.gpudra.nvml.NvmlEventTypes;
import dev.gpudra.nvml.NvmlException;
import dev.gpudra.nvml.NvmlGpuLostException;
import dev.gpudra.nvml.NvmlReturn;
import dev.gpudra.nvml.NvmlSession;
import dev.gpudra.plugin.health.GpuHealthProbe;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GpuHealthProbe} on an open NVML session: one event set for all GPUs (registered for XIDs,
 * ECC errors and the newer fault types each GPU supports), probes by UUID query, MIG instances by
 * GPU instance id. NVML's errors become the probe's answers here, so nothing past this adapter
 * knows NVML. Thread-safe except {@link Watch#next}, which the monitor calls from one thread only.
 */
public final class NvmlHealthProbe implements GpuHealthProbe {

  private static final Logger LOG = LoggerFactory.getLogger(NvmlHealthProbe.class);

  private final NvmlSession session;

  /**
   * @param session an open session, closed by its owner after the monitor is closed
   */
  public NvmlHealthProbe(NvmlSession session) {
    this.session = Objects.requireNonNull(session, "session");
  }

  @Override
  public Watch watch(List<MonitoredGpu> gpus) {
    NvmlEventSet set;
    try {
      set = session.createEventSet();
    } catch (NvmlException e) {
      String code =
          switch (e.code()) {
            case NvmlReturn.ERROR_NOT_SUPPORTED -> "NotSupported";
            case NvmlReturn.ERROR_FUNCTION_NOT_FOUND -> "FunctionNotFound";
            case NvmlReturn.ERROR_NO_PERMISSION -> "NoPermission";
            default -> "NvmlError" + e.code();
          };
      throw new UnavailableException(code, "NVML event set: " + e.getMessage(), e);
    }
    Map<Integer, String> unregistered = new LinkedHashMap<>();
    for (MonitoredGpu gpu : gpus) {
      try {
        long types = set.register(gpu.index(), NvmlEventTypes.HEALTH);
        LOG.debug("GPU {} registered for events 0x{}", gpu.minor(), Long.toHexString(types));
      } catch (NvmlException e) {
        unregistered.put(gpu.index(), e.getMessage());
      }
    }
    return new Watch() {
      @Override
      public Map<Integer, String> unregistered() {
        return Map.copyOf(unregistered);
      }

      @Override
      public Optional<Event> next(Duration timeout) {
        Optional<NvmlEvent> event;
        try {
          event = set.await(timeout);
        } catch (NvmlGpuLostException e) {
          return Optional.of(new SomeGpuLost(e.nvmlMessage()));
        }
        return event.map(NvmlHealthProbe::event);
      }

      @Override
      public void close() {
        set.close();
      }
    };
  }

  private static Event event(NvmlEvent event) {
    if (event.isXid()) {
      return new Xid(
          event.gpuIndex(), event.xid(), event.gpuInstanceId(), event.computeInstanceId());
    }
    String kind =
        event.type() == NvmlEventTypes.DOUBLE_BIT_ECC_ERROR
            ? "double-bit ECC error"
            : event.type() == NvmlEventTypes.SINGLE_BIT_ECC_ERROR
                ? "single-bit ECC error"
                : "NVML event 0x" + Long.toHexString(event.type());
    return new OtherFault(event.gpuIndex(), kind);
  }

  @Override
  public Optional<String> probe(MonitoredGpu gpu) {
    try {
      session.checkResponds(gpu.index());
      return Optional.empty();
    } catch (NvmlGpuLostException e) {
      return Optional.of(e.nvmlMessage());
    } catch (NvmlException e) {
      // Any other answer is still an answer: the GPU is on the bus.
      LOG.debug("Probe of GPU {} answered {}", gpu.minor(), e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public Optional<HealthTarget.MigInstance> migInstance(
      MonitoredGpu gpu, int gpuInstanceId, OptionalInt computeInstanceId) {
    try {
      return session
          .gpuInstance(gpu.index(), gpuInstanceId)
          .map(
              gi ->
                  new HealthTarget.MigInstance(
                      gpu.minor(), gi.profileId(), gi.placement().start(), computeInstanceId));
    } catch (NvmlException e) {
      LOG.debug("GPU instance {} of GPU {}: {}", gpuInstanceId, gpu.minor(), e.getMessage());
      return Optional.empty();
    }
  }
}
