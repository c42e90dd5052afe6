package dev.gpudra.plugin.prepare;

/**
 * Told each time prepare or unprepare passes a durable step (a checkpoint save, a spec written or
 * deleted, effects applied). Production uses {@link #NONE}; the crash test arms {@link
 * SelfKillAtStep} to kill the plugin exactly between two steps.
 */
@FunctionalInterface
public interface StepListener {

  /** Ignores every step. */
  StepListener NONE = step -> {};

  /**
   * Called after {@code step} completed.
   *
   * @param step a stable name such as {@code prepare:started-saved}
   */
  void reached(String step);
}
