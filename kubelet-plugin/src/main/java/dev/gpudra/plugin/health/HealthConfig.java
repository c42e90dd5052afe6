package dev.gpudra.plugin.health;

import dev.gpudra.core.config.EnvReader;
import dev.gpudra.core.health.TaintEffect;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The health monitor's settings, one environment key each (the chart's {@code health.*} values).
 *
 * @param enabled {@value #ENABLED}: watch NVML events and probe GPUs; off reports every device
 *     healthy, as before health monitoring existed
 * @param effect {@value #TAINT_EFFECT}: effect of the taints of unhealthy devices, {@code
 *     NoSchedule} (default) or {@code NoExecute} (pods using the device are evicted by the
 *     controller manager unless their claims tolerate the taint)
 * @param ignoredXids {@value #IGNORED_XIDS}: XIDs that only ever get an informational taint
 * @param checkInterval {@value #CHECK_INTERVAL}: how often every GPU is probed for what has no
 *     event (a GPU that fell off the bus, or answers again after a reset)
 * @param quietPeriod {@value #QUIET_PERIOD}: a GPU whose XIDs are recoverable (needs-reset,
 *     application, informational) loses the condition after this long without another one (at least
 *     1 s); fatal XIDs stay until the GPU is seen reset
 */
public record HealthConfig(
    boolean enabled,
    TaintEffect effect,
    Set<Integer> ignoredXids,
    Duration checkInterval,
    Duration quietPeriod) {

  public static final String ENABLED = "GPUDRA_HEALTH_ENABLED";
  public static final String TAINT_EFFECT = "GPUDRA_HEALTH_TAINT_EFFECT";
  public static final String IGNORED_XIDS = "GPUDRA_HEALTH_IGNORED_XIDS";
  public static final String CHECK_INTERVAL = "GPUDRA_HEALTH_CHECK_INTERVAL_SECONDS";
  public static final String QUIET_PERIOD = "GPUDRA_HEALTH_RECOVERY_QUIET_PERIOD_SECONDS";

  /** The defaults. */
  public static final HealthConfig DEFAULT =
      new HealthConfig(
          true, TaintEffect.NO_SCHEDULE, Set.of(), Duration.ofSeconds(5), Duration.ofMinutes(5));

  public HealthConfig {
    Objects.requireNonNull(effect, "effect");
    ignoredXids = Set.copyOf(ignoredXids);
    if (effect == TaintEffect.NONE) {
      throw new IllegalArgumentException(
          TAINT_EFFECT + " must be NoSchedule or NoExecute, got: None");
    }
    if (checkInterval.isNegative() || checkInterval.isZero()) {
      throw new IllegalArgumentException(
          CHECK_INTERVAL + " must be at least 1, got " + checkInterval);
    }
    if (quietPeriod.isNegative() || quietPeriod.isZero()) {
      throw new IllegalArgumentException(
          QUIET_PERIOD + " must be at least 1, got " + quietPeriod.toSeconds());
    }
  }

  /**
   * Reads the keys from {@code env}.
   *
   * @throws IllegalArgumentException naming the key with an unusable value
   */
  public static HealthConfig fromEnv(Map<String, String> env) {
    EnvReader reader = new EnvReader(env);
    TaintEffect effect =
        reader.value(
            TAINT_EFFECT, DEFAULT.effect(), TaintEffect::fromApiValue, "NoSchedule or NoExecute");
    Set<Integer> ignored = new TreeSet<>();
    for (String xid : reader.list(IGNORED_XIDS, Set.of())) {
      try {
        int value = Integer.parseInt(xid.trim());
        if (value <= 0) {
          throw new NumberFormatException();
        }
        ignored.add(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            IGNORED_XIDS + " must be a comma-separated list of XID numbers, got: " + xid, e);
      }
    }
    return new HealthConfig(
        reader.bool(ENABLED, DEFAULT.enabled()),
        effect,
        ignored,
        Duration.ofSeconds(
            reader.integer(CHECK_INTERVAL, (int) DEFAULT.checkInterval().toSeconds())),
        Duration.ofSeconds(reader.integer(QUIET_PERIOD, (int) DEFAULT.quietPeriod().toSeconds())));
  }

  /** The effective settings for the start-up log line. */
  public Map<String, String> effective() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(ENABLED, Boolean.toString(enabled));
    m.put(TAINT_EFFECT, effect.apiValue());
    m.put(
        IGNORED_XIDS,
        String.join(",", new TreeSet<>(ignoredXids).stream().map(String::valueOf).toList()));
    m.put(CHECK_INTERVAL, Long.toString(checkInterval.toSeconds()));
    m.put(QUIET_PERIOD, Long.toString(quietPeriod.toSeconds()));
    return m;
  }
}
