package dev.gpudra.plugin.prepare;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends SIGKILL to this very process when the N-th step is reached: a crash at a precise point,
 * with no shutdown hook, no flush and no cleanup, exactly like the OOM killer or a node losing
 * power for the process (the kernel keeps what was written). Test-only: {@code
 * dev.gpudra.plugin.CrashingPluginMain} arms it, and a step name counts only the steps of that name
 * (so that a test can aim at a step that is rare among the others).
 */
public final class SelfKillAtStep implements StepListener {

  private static final Logger LOG = LoggerFactory.getLogger(SelfKillAtStep.class);

  private final long killAt;
  private final Optional<String> only;
  private final AtomicLong steps = new AtomicLong();

  /**
   * @param killAt the 1-based step to die at
   * @param only when present, only steps of this name count
   */
  public SelfKillAtStep(long killAt, Optional<String> only) {
    if (killAt < 1) {
      throw new IllegalArgumentException("killAt must be >= 1, got " + killAt);
    }
    this.killAt = killAt;
    this.only = Objects.requireNonNull(only, "only");
  }

  @Override
  public void reached(String step) {
    if (only.isPresent() && !only.get().equals(step)) {
      return;
    }
    if (steps.incrementAndGet() != killAt) {
      return;
    }
    LOG.warn("KILL-POINT {} {}: sending SIGKILL to myself", killAt, step);
    long pid = ProcessHandle.current().pid();
    try {
      new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start().waitFor();
      // The signal is asynchronous; never continue past the kill point.
      Thread.sleep(Long.MAX_VALUE);
    } catch (IOException e) {
      Runtime.getRuntime().halt(137);
    } catch (InterruptedException e) {
      Runtime.getRuntime().halt(137);
    }
  }
}
