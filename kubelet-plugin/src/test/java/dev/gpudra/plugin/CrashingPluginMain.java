package dev.gpudra.plugin;

import dev.gpudra.core.config.EnvReader;
import dev.gpudra.plugin.prepare.SelfKillAtStep;
import dev.gpudra.plugin.prepare.StepListener;
import java.util.Map;
import java.util.Optional;

/**
 * The kubelet plugin armed to crash: it runs {@link Main#run} with a {@link SelfKillAtStep}, so a
 * crash test can kill the plugin at a precise step of prepare or unprepare. The kill settings are
 * this test entry point's own keys; the production plugin neither reads nor knows them.
 */
public final class CrashingPluginMain {

  /** The 1-based step to SIGKILL the plugin at; required. */
  public static final String KILL_AT_STEP = "GPUDRA_TEST_KILL_AT_STEP";

  /** When set, only steps of this name count toward {@link #KILL_AT_STEP}. */
  public static final String KILL_AT_STEP_NAME = "GPUDRA_TEST_KILL_AT_STEP_NAME";

  private CrashingPluginMain() {}

  /** Runs the plugin until it reaches the kill step (or SIGTERM). */
  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    Main.run(env, listener(env));
  }

  /**
   * The kill-at-step listener the settings in {@code env} ask for.
   *
   * @throws IllegalArgumentException naming the key with an unusable value
   */
  static StepListener listener(Map<String, String> env) {
    EnvReader reader = new EnvReader(env);
    Optional<String> only = reader.string(KILL_AT_STEP_NAME);
    long killAt =
        reader
            .optional(KILL_AT_STEP, Long::parseLong, "must be an integer")
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        KILL_AT_STEP
                            + " is required"
                            + (only.isPresent() ? " with " + KILL_AT_STEP_NAME : "")));
    if (killAt < 1) {
      throw new IllegalArgumentException(KILL_AT_STEP + " must be >= 1, got: " + killAt);
    }
    return new SelfKillAtStep(killAt, only);
  }
}
