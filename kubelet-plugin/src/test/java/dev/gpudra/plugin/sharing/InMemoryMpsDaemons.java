package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.MpsRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MPS daemons that exist only as the answers of {@link MpsControl}: the GPUs whose daemon runs, and
 * how often each was started. A test kills one from outside by removing it from {@link #running}.
 * Not thread-safe; single-threaded tests only.
 */
public final class InMemoryMpsDaemons implements MpsControl {

  /** GPUs whose daemon runs now. */
  public final Set<String> running = new LinkedHashSet<>();

  private final Map<String, Integer> starts = new HashMap<>();

  @Override
  public boolean ensure(MpsRecord daemon) {
    if (!running.add(daemon.gpuUuid())) {
      return false;
    }
    starts.merge(daemon.gpuUuid(), 1, Integer::sum);
    return true;
  }

  @Override
  public void stop(String gpuUuid) {
    running.remove(gpuUuid);
  }

  @Override
  public boolean running(String gpuUuid) {
    return running.contains(gpuUuid);
  }

  @Override
  public List<String> present() {
    return new ArrayList<>(running);
  }

  @Override
  public int starts(String gpuUuid) {
    return starts.getOrDefault(gpuUuid, 0);
  }
}
