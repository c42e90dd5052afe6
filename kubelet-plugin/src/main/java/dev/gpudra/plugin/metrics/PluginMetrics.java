package dev.gpudra.plugin.metrics;

import java.time.Duration;
import java.util.List;

/**
 * What the plugin measures. An interface so that code under test runs with {@link #NOOP} and the
 * daemon with {@link MicrometerPluginMetrics}. Implementations are thread-safe.
 */
public interface PluginMetrics {

  /** Result label of a successful call. */
  String SUCCESS = "success";

  /** Result label of a failed call. */
  String ERROR = "error";

  /** Measures nothing. */
  PluginMetrics NOOP =
      new PluginMetrics() {
        @Override
        public void prepareDone(String result, Duration duration) {}

        @Override
        public void unprepareDone(String result, Duration duration) {}

        @Override
        public void preparedNow(int claims, int devices) {}
      };

  /** One claim's prepare finished with {@code result} after {@code duration}. */
  void prepareDone(String result, Duration duration);

  /** One claim's unprepare finished with {@code result} after {@code duration}. */
  void unprepareDone(String result, Duration duration);

  /** Claims and devices prepared on the node now. */
  void preparedNow(int claims, int devices);

  /** Problems a checkpoint found at start-up can have ({@code CheckpointStore.Loaded.Problem}). */
  List<String> CHECKPOINT_PROBLEMS = List.of("damaged", "unsupported_version", "not_a_file");

  /**
   * The checkpoint found at start-up was unusable for {@code problem} (one of {@link
   * #CHECKPOINT_PROBLEMS}) and was moved aside; the plugin rebuilt its state and serves.
   */
  default void checkpointMovedAside(String problem) {}

  /**
   * Start-up recovery found the CDI spec of a completed claim missing (deleted behind the plugin's
   * back) and wrote it again.
   */
  default void cdiSpecRestored() {}
}
