package dev.gpudra.controller.metrics;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.claims.ClaimClassifier;
import dev.gpudra.core.claims.ClaimState;
import dev.gpudra.core.claims.ClaimSummary;
import dev.gpudra.core.usage.DeviceKey;
import dev.gpudra.core.usage.DeviceUsage;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claim and device metrics computed from the {@link ClusterView}. Labels are bounded: claim state,
 * namespace, device class and workload kind for claims; node, product, type and state for devices;
 * never claim or pod names.
 *
 * <p>Series:
 *
 * <ul>
 *   <li>{@code gpudra_claims{state,namespace,device_class,workload}}
 *   <li>{@code gpudra_devices{node,product,type,state}}
 *   <li>{@code gpudra_claim_allocation_seconds} histogram: claim creation to allocation, for claims
 *       this controller saw pending
 *   <li>{@code gpudra_oldest_pending_claim_age_seconds}
 *   <li>{@code gpudra_controller_view_synced}, {@code gpudra_controller_refresh_errors_total},
 *       {@code gpudra_controller_last_refresh_age_seconds}
 * </ul>
 *
 * <p>{@link #refresh} recomputes the gauges; it is called from one scheduler thread. {@link
 * #observe} is called on informer threads.
 */
public final class ClusterMetrics {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterMetrics.class);

  private final ClusterView view;
  private final String driver;
  private final Clock clock;
  private final MultiGauge claims;
  private final MultiGauge devices;
  private final Timer allocationLatency;
  private final Counter refreshErrors;
  private final AtomicReference<Instant> lastRefresh = new AtomicReference<>(Instant.EPOCH);
  private final AtomicReference<Double> oldestPendingSeconds = new AtomicReference<>(0.0);

  /** UIDs of our claims seen pending and not allocated yet; entries leave on allocation. */
  private final Set<String> seenPending = ConcurrentHashMap.newKeySet();

  public ClusterMetrics(ClusterView view, String driver, MeterRegistry registry, Clock clock) {
    this.view = view;
    this.driver = driver;
    this.clock = clock;
    this.claims =
        MultiGauge.builder("gpudra_claims")
            .description("ResourceClaims for this driver by state, namespace, class and workload")
            .register(registry);
    this.devices =
        MultiGauge.builder("gpudra_devices")
            .description("Published devices by node, product, type and state")
            .register(registry);
    this.allocationLatency =
        Timer.builder("gpudra_claim_allocation")
            .description("Time from claim creation to allocation")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(100))
            .maximumExpectedValue(Duration.ofHours(1))
            .register(registry);
    Gauge.builder(
            "gpudra_oldest_pending_claim_age_seconds", oldestPendingSeconds, AtomicReference::get)
        .description("Age of the oldest pending claim for this driver")
        .register(registry);
    Gauge.builder("gpudra_controller_view_synced", view, v -> v.synced() ? 1 : 0)
        .description("1 when every informer of the controller's view is synced and watching")
        .register(registry);
    Gauge.builder(
            "gpudra_controller_last_refresh_age_seconds",
            lastRefresh,
            r -> Duration.between(r.get(), clock.instant()).toMillis() / 1000.0)
        .description("Seconds since metrics were last recomputed from the view")
        .register(registry);
    this.refreshErrors =
        Counter.builder("gpudra_controller_refresh_errors_total")
            .description("Metric refreshes that failed")
            .register(registry);
    view.onClaimChange(this::observe);
  }

  /** Records allocation latency when a claim we saw pending becomes allocated. */
  void observe(ResourceClaim claim) {
    String uid = claim.getMetadata().getUid();
    if (uid == null) {
      return;
    }
    ClaimState state = ClaimState.of(claim);
    if (state == ClaimState.PENDING) {
      if (view.classifier(driver).isOurs(claim)) {
        seenPending.add(uid);
      }
    } else if (seenPending.remove(uid)) {
      String created = claim.getMetadata().getCreationTimestamp();
      if (created != null) {
        Duration latency = Duration.between(Instant.parse(created), clock.instant());
        allocationLatency.record(latency.isNegative() ? Duration.ZERO : latency);
      }
    }
  }

  /** Recomputes every gauge from the view. Failures are counted, never thrown. */
  public void refresh() {
    try {
      ClaimClassifier classifier = view.classifier(driver);
      List<ResourceClaim> all = view.claims();
      List<ResourceClaim> ours = all.stream().filter(classifier::isOurs).toList();
      Map<Tags, Long> claimCounts = new HashMap<>();
      Instant oldestPending = null;
      Set<String> live = new HashSet<>();
      for (ResourceClaim claim : ours) {
        live.add(claim.getMetadata().getUid());
        String namespace = claim.getMetadata().getNamespace();
        ClaimSummary summary = classifier.summarize(claim, pod -> view.podLabels(namespace, pod));
        claimCounts.merge(
            Tags.of(
                "state", summary.state().label(),
                "namespace", summary.namespace(),
                "device_class", summary.deviceClass(),
                "workload", summary.workload().label()),
            1L,
            Long::sum);
        if (summary.state() == ClaimState.PENDING
            && (oldestPending == null || summary.created().isBefore(oldestPending))) {
          oldestPending = summary.created();
        }
      }
      seenPending.retainAll(live); // deleted claims leave the set
      claims.register(rows(claimCounts), true);

      Map<DeviceKey, Long> deviceCounts = DeviceUsage.count(view.slices(), all, driver);
      Map<Tags, Long> deviceRows = new HashMap<>();
      deviceCounts.forEach(
          (key, count) ->
              deviceRows.put(
                  Tags.of(
                      "node", key.node(),
                      "product", key.product(),
                      "type", key.type(),
                      "state", key.state().label()),
                  count));
      devices.register(rows(deviceRows), true);

      oldestPendingSeconds.set(
          oldestPending == null
              ? 0.0
              : Math.max(0, Duration.between(oldestPending, clock.instant()).toMillis() / 1000.0));
      lastRefresh.set(clock.instant());
    } catch (RuntimeException e) {
      refreshErrors.increment();
      LOG.warn("Recomputing metrics from the cluster view failed", e);
    }
  }

  private static List<MultiGauge.Row<?>> rows(Map<Tags, Long> counts) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach((tags, count) -> rows.add(MultiGauge.Row.of(tags, count)));
    return rows;
  }
}
