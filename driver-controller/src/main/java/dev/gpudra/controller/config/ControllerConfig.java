package dev.gpudra.controller.config;

import dev.gpudra.core.config.EnvReader;
import java.time.Duration;
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
 * @param explainAfter {@value #EXPLAIN_PENDING_AFTER}: how long a claim may be pending before its
 *     explanation is published as Events (default 1 min)
 * @param eventRepeat {@value #EVENT_REPEAT}: how often an unchanged explanation is published again
 *     (default 10 min)
 * @param eventsPerPass {@value #EVENTS_PER_PASS}: most Events one pass writes (default 20)
 * @param leaseNamespace {@value #LEASE_NAMESPACE}: namespace of the leader-election Lease (default
 *     {@code POD_NAMESPACE}, else {@code default})
 * @param identity {@value #POD_NAME}: this replica's name in the Lease (default the host name)
 */
public record ControllerConfig(
    int metricsPort,
    Duration refreshInterval,
    Duration syncTimeout,
    Duration explainAfter,
    Duration eventRepeat,
    int eventsPerPass,
    String leaseNamespace,
    String identity) {

  public static final String METRICS_PORT = "GPUDRA_METRICS_PORT";
  public static final String METRICS_REFRESH_INTERVAL = "GPUDRA_METRICS_REFRESH_INTERVAL";
  public static final String INFORMER_SYNC_TIMEOUT = "GPUDRA_INFORMER_SYNC_TIMEOUT";
  public static final String EXPLAIN_PENDING_AFTER = "GPUDRA_EXPLAIN_PENDING_AFTER";
  public static final String EVENT_REPEAT = "GPUDRA_EVENT_REPEAT";
  public static final String EVENTS_PER_PASS = "GPUDRA_EVENTS_PER_PASS";
  public static final String LEASE_NAMESPACE = "POD_NAMESPACE";
  public static final String POD_NAME = "POD_NAME";

  public ControllerConfig {
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException(METRICS_PORT + " must be 0..65535, got " + metricsPort);
    }
    requirePositive(METRICS_REFRESH_INTERVAL, refreshInterval);
    requirePositive(INFORMER_SYNC_TIMEOUT, syncTimeout);
    requirePositive(EXPLAIN_PENDING_AFTER, explainAfter);
    requirePositive(EVENT_REPEAT, eventRepeat);
    if (eventsPerPass < 1) {
      throw new IllegalArgumentException(EVENTS_PER_PASS + " must be >= 1, got " + eventsPerPass);
    }
    if (leaseNamespace == null || leaseNamespace.isBlank()) {
      throw new IllegalArgumentException(LEASE_NAMESPACE + " must not be blank");
    }
    if (identity == null || identity.isBlank()) {
      throw new IllegalArgumentException(POD_NAME + " must not be blank");
    }
  }

  /** Reads the settings from environment variables; unset keys take their defaults. */
  public static ControllerConfig fromEnv(Map<String, String> env) {
    EnvReader reader = new EnvReader(env);
    return new ControllerConfig(
        reader.integer(METRICS_PORT, 8080),
        duration(reader, METRICS_REFRESH_INTERVAL, Duration.ofSeconds(15)),
        duration(reader, INFORMER_SYNC_TIMEOUT, Duration.ofMinutes(2)),
        duration(reader, EXPLAIN_PENDING_AFTER, Duration.ofMinutes(1)),
        duration(reader, EVENT_REPEAT, Duration.ofMinutes(10)),
        reader.integer(EVENTS_PER_PASS, 20),
        reader.string(LEASE_NAMESPACE, "default"),
        reader.string(POD_NAME).orElseGet(ControllerConfig::hostName));
  }

  private static Duration duration(EnvReader reader, String key, Duration fallback) {
    return reader.value(
        key, fallback, Duration::parse, "must be an ISO-8601 duration such as PT15S");
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "gpudra-controller";
    }
  }

  private static void requirePositive(String key, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be positive, got " + value);
    }
  }
}
