package dev.gpudra.nvml;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An NVML event set ({@code nvmlEventSet_t}): GPUs are registered for event types, then one thread
 * waits for their events. Created by {@link NvmlSession#createEventSet()} and closed before the
 * session.
 *
 * <p>Not thread-safe, and deliberately not locked with the session: NVML says operations on one set
 * are not thread-safe, and a wait that held the session's lock would stall every other NVML call
 * (MIG changes during prepare) for the whole timeout. Confine a set to the thread that waits on it.
 */
public final class NvmlEventSet implements AutoCloseable {

  private final NvmlSession session;
  private final NvmlLibrary nvml;
  private final Map<Pointer, Integer> gpuByHandle = new HashMap<>();
  private Pointer set;

  NvmlEventSet(NvmlSession session, NvmlLibrary nvml, Pointer set) {
    this.session = session;
    this.nvml = nvml;
    this.set = Objects.requireNonNull(set, "set");
  }

  /**
   * Registers a GPU for those of {@code wanted} it supports.
   *
   * @return the event types registered (never 0)
   * @throws NvmlException {@code NVML_ERROR_NOT_SUPPORTED} when the GPU supports none of them; a
   *     {@link NvmlGpuLostException} when the GPU is lost
   */
  public long register(int gpuIndex, long wanted) {
    Pointer device = session.deviceHandle(gpuIndex);
    LongByReference supported = new LongByReference();
    check(
        "nvmlDeviceGetSupportedEventTypes",
        nvml.nvmlDeviceGetSupportedEventTypes(device, supported));
    long types = supported.getValue() & wanted;
    if (types == 0) {
      throw NvmlException.of(
          "nvmlDeviceRegisterEvents",
          NvmlReturn.ERROR_NOT_SUPPORTED,
          "GPU " + gpuIndex + " supports none of the event types 0x" + Long.toHexString(wanted));
    }
    check("nvmlDeviceRegisterEvents", nvml.nvmlDeviceRegisterEvents(device, types, open()));
    gpuByHandle.put(device, gpuIndex);
    return types;
  }

  /**
   * Waits up to {@code timeout} for the next event of a registered GPU.
   *
   * @return the event, or empty when none came in time (NVML may also return early, on a signal)
   * @throws NvmlGpuLostException when a GPU fell off the bus (NVML does not say which)
   */
  public Optional<NvmlEvent> await(Duration timeout) {
    NvmlLibrary.EventData data = new NvmlLibrary.EventData();
    int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(0, timeout.toMillis()));
    int rc = nvml.nvmlEventSetWait_v2(open(), data, millis);
    if (rc == NvmlReturn.ERROR_TIMEOUT) {
      return Optional.empty();
    }
    check("nvmlEventSetWait_v2", rc);
    Integer gpu = gpuByHandle.get(data.device);
    return Optional.of(
        new NvmlEvent(
            gpu == null ? -1 : gpu,
            data.eventType,
            data.eventData,
            NvmlEvent.instance(data.gpuInstanceId),
            NvmlEvent.instance(data.computeInstanceId)));
  }

  /** Frees the set; closing twice is harmless. */
  @Override
  public void close() {
    if (set == null) {
      return;
    }
    Pointer freed = set;
    set = null;
    check("nvmlEventSetFree", nvml.nvmlEventSetFree(freed));
  }

  private Pointer open() {
    if (set == null) {
      throw new IllegalStateException("NVML event set is closed");
    }
    return set;
  }

  private void check(String function, int rc) {
    if (rc != NvmlReturn.SUCCESS) {
      throw NvmlException.of(function, rc, session.message(rc));
    }
  }
}
