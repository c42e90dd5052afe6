package dev.gpudra.plugin.health;

import dev.gpudra.core.health.HealthCause;
import dev.gpudra.core.health.HealthCondition;
import dev.gpudra.core.health.HealthTarget;
import dev.gpudra.core.health.TaintEffect;
import dev.gpudra.core.health.XidCatalog;
import dev.gpudra.core.health.XidClass;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The node's active health conditions and the rules that add and clear them (pure: time comes in
 * with each call). Every method returns whether the published conditions changed, so a burst of
 * identical XIDs (a flood) changes nothing after the first: the condition keeps its start time and
 * only its last-seen time moves, which is not published.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>An XID adds a condition on its target with the configured effect when its class is
 *       unhealthy (fatal, needs reset), effect None otherwise.
 *   <li>A lost GPU adds {@code gpu-lost}. When it answers again, a reset has happened: the lost
 *       condition and every XID condition on that GPU go.
 *   <li>After the quiet period without a repeat, needs-reset, application and informational
 *       conditions go (a GPU that still needs a reset throws the XID again once work lands on it);
 *       fatal ones stay until a reset is seen or the plugin restarts.
 *   <li>{@code unmonitored} (effect None) marks GPUs whose events cannot be watched.
 * </ul>
 *
 * <p>Thread-safe: every method is synchronized; the monitor's event and check threads share it.
 */
public final class HealthLedger {

  private record Key(HealthTarget target, HealthCause cause, String value) {}

  private record Entry(HealthCondition condition, XidClass xidClass, Instant lastSeen) {}

  private final XidCatalog catalog;
  private final TaintEffect unhealthyEffect;
  private final Duration quietPeriod;
  private final Map<Key, Entry> entries = new LinkedHashMap<>();

  public HealthLedger(XidCatalog catalog, TaintEffect unhealthyEffect, Duration quietPeriod) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.unhealthyEffect = Objects.requireNonNull(unhealthyEffect, "unhealthyEffect");
    this.quietPeriod = Objects.requireNonNull(quietPeriod, "quietPeriod");
  }

  /** The class the catalog gives an XID on this node. */
  public XidClass classify(long xid) {
    return catalog.classify(xid);
  }

  /** An XID on {@code target}. */
  public synchronized boolean xid(HealthTarget target, long xid, Instant now) {
    XidClass xidClass = catalog.classify(xid);
    Key key = new Key(target, HealthCause.XID, Long.toString(xid));
    Entry existing = entries.get(key);
    if (existing != null) {
      entries.put(key, new Entry(existing.condition(), xidClass, now));
      return false;
    }
    TaintEffect effect = xidClass.unhealthy() ? unhealthyEffect : TaintEffect.NONE;
    String message =
        "XID " + xid + " (" + xidClass.label().replace('_', ' ') + ") on " + describe(target);
    entries.put(
        key,
        new Entry(
            new HealthCondition(target, HealthCause.XID, Long.toString(xid), effect, now, message),
            xidClass,
            now));
    return true;
  }

  /** The GPU with minor {@code minor} is lost (fell off the bus, or needs a reset to answer). */
  public synchronized boolean lost(int minor, String reason, Instant now) {
    Key key = new Key(new HealthTarget.WholeGpu(minor), HealthCause.GPU_LOST, "");
    if (entries.containsKey(key)) {
      return false;
    }
    entries.put(
        key,
        new Entry(
            new HealthCondition(
                key.target(),
                HealthCause.GPU_LOST,
                "",
                unhealthyEffect,
                now,
                "GPU " + minor + " is lost: " + reason),
            XidClass.FATAL,
            now));
    return true;
  }

  /**
   * The GPU answered a probe. If it was lost, it came back through a reset: its lost condition and
   * all its XID conditions end.
   */
  public synchronized boolean responds(int minor) {
    Key lostKey = new Key(new HealthTarget.WholeGpu(minor), HealthCause.GPU_LOST, "");
    if (entries.remove(lostKey) == null) {
      return false;
    }
    entries.keySet().removeIf(k -> k.cause() == HealthCause.XID && k.target().minor() == minor);
    return true;
  }

  /** Health of the GPU with minor {@code minor} cannot be watched, for {@code reason}. */
  public synchronized boolean unmonitored(
      int minor, String reasonCode, String reason, Instant now) {
    Key key = new Key(new HealthTarget.WholeGpu(minor), HealthCause.UNMONITORED, reasonCode);
    if (entries.containsKey(key)) {
      return false;
    }
    entries.put(
        key,
        new Entry(
            new HealthCondition(
                key.target(),
                HealthCause.UNMONITORED,
                reasonCode,
                TaintEffect.NONE,
                now,
                "GPU " + minor + " health is not monitored: " + reason),
            XidClass.INFORMATIONAL,
            now));
    return true;
  }

  /** Ends the conditions whose quiet period has passed. */
  public synchronized boolean expire(Instant now) {
    return entries
        .values()
        .removeIf(
            e ->
                e.condition().cause() == HealthCause.XID
                    && e.xidClass() != XidClass.FATAL
                    && !e.lastSeen().plus(quietPeriod).isAfter(now));
  }

  /** The active conditions, oldest first. */
  public synchronized List<HealthCondition> conditions() {
    return entries.values().stream()
        .map(Entry::condition)
        .sorted(Comparator.comparing(HealthCondition::since))
        .toList();
  }

  private static String describe(HealthTarget target) {
    return switch (target) {
      case HealthTarget.WholeGpu gpu -> "GPU " + gpu.minor();
      case HealthTarget.MigInstance mig ->
          "GPU "
              + mig.minor()
              + " MIG instance (profile "
              + mig.profileId()
              + ", placement "
              + mig.placementStart()
              + (mig.computeInstanceId().isPresent()
                  ? ", compute instance " + mig.computeInstanceId().getAsInt()
                  : "")
              + ")";
    };
  }
}
