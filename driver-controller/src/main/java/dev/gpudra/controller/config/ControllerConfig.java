package dev.gpudra.controller.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * The controller's settings, one per environment variable (the Helm values map to them 1:1). A bad
 * value stops start-up with a message naming the key.
 *
 * @param metricsPort {@value #METRICS_PORT}: port of {@code /metrics} and {@code /healthz} (default
 *     8080)
 * @param refreshInterval {@value #METRICS_REFRESH_INTERVAL}: how often gauges are recomputed, an
 *     ISO-8601 duration such as {@code PT15S} (default 15 s)
 * @param syncTimeout {@value #INFORMER_SYNC_TIMEOUT}: how long start-up waits for the informers
 *     (default 2 min)
 */
public record ControllerConfig(int metricsPort, Duration refreshInterval, Duration syncTimeout) {

  public static final String METRICS_PORT = "GPUDRA_METRICS_PORT";
  public static final String METRICS_REFRESH_INTERVAL = "GPUDRA_METRICS_REFRESH_INTERVAL";
  public static final String INFORMER_SYNC_TIMEOUT = "GPUDRA_INFORMER_SYNC_TIMEOUT";

  /** The DRA driver this controller serves. */
  public static final String DRIVER_NAME = "gpu.gpudra.dev";

  public ControllerConfig {
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException(METRICS_PORT + " must be 0..65535, got " + metricsPort);
    }
    requirePositive(METRICS_REFRESH_INTERVAL, refreshInterval);
    requirePositive(INFORMER_SYNC_TIMEOUT, syncTimeout);
  }

  /** Reads the settings from environment variables; unset keys take their defaults. */
  public static ControllerConfig fromEnv(Map<String, String> env) {
    return new ControllerConfig(
        integer(env, METRICS_PORT, 8080),
        duration(env, METRICS_REFRESH_INTERVAL, Duration.ofSeconds(15)),
        duration(env, INFORMER_SYNC_TIMEOUT, Duration.ofMinutes(2)));
  }

  private static int integer(Map<String, String> env, String key, int fallback) {
    String value = env.get(key);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'", e);
    }
  }

  private static Duration duration(Map<String, String> env, String key, Duration fallback) {
    String value = env.get(key);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Duration.parse(value.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          key + " must be an ISO-8601 duration such as PT15S, got '" + value + "'", e);
    }
  }

  private static void requirePositive(String key, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be positive, got " + value);
    }
  }
}
