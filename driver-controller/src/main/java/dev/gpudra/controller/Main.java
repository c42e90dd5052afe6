package dev.gpudra.controller;

import dev.gpudra.controller.config.ControllerConfig;
import dev.gpudra.controller.explain.ClaimExplanations;
import dev.gpudra.controller.explain.PendingClaimReporter;
import dev.gpudra.controller.leader.LeaderElection;
import dev.gpudra.controller.metrics.ClusterMetrics;
import dev.gpudra.controller.metrics.MetricsServer;
import dev.gpudra.controller.prebound.Prebound;
import dev.gpudra.controller.prebound.PreboundController;
import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.controller.webhook.WebhookConfig;
import dev.gpudra.controller.webhook.Webhooks;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.names.DriverNames;
import dev.gpudra.runtime.ApiErrorCounter;
import dev.gpudra.runtime.KubernetesKinds;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The driver controller: builds the cluster view and serves claim and device metrics. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  private static void report(PendingClaimReporter reporter) {
    try {
      int events = reporter.runOnce();
      if (events > 0) {
        LOG.info("Published {} pending-claim Events", events);
      }
    } catch (RuntimeException e) {
      LOG.warn("Publishing pending-claim Events failed; next pass retries", e);
    }
  }

  private static ScheduledExecutorService daemonScheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread thread = new Thread(r, name);
          thread.setDaemon(true);
          return thread;
        });
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    ControllerConfig config;
    WebhookConfig webhookConfig;
    try {
      config = ControllerConfig.fromEnv(System.getenv());
      webhookConfig = WebhookConfig.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("gpudra-controller: " + e.getMessage());
      System.exit(2);
      return;
    }
    LOG.info("Starting with {} and {}", config, webhookConfig);
    ApiErrorCounter apiErrors = new ApiErrorCounter();
    KubernetesClient client =
        apiErrors
            .installOn(
                // The kinds ClusterView watches.
                KubernetesKinds.mapOnly(
                    new KubernetesClientBuilder(),
                    List.of(
                        ResourceSlice.class,
                        ResourceClaim.class,
                        Pod.class,
                        Node.class,
                        DeviceClass.class)))
            .build();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    apiErrors.bindTo(registry);
    ClusterView view = new ClusterView(client);
    ClusterMetrics metrics =
        new ClusterMetrics(view, DriverNames.DRIVER, registry, Clock.systemUTC());
    view.start(config.syncTimeout());
    ScheduledExecutorService refresher = daemonScheduler("metrics-refresh");
    // Explaining pending claims runs the allocator over every node; on a thread of its own it
    // never delays the metric refresh, however long a pass takes on a large cluster.
    ScheduledExecutorService reporterScheduler = daemonScheduler("pending-claim-reporter");
    var unused =
        refresher.scheduleWithFixedDelay(
            metrics::refresh, 0, config.refreshInterval().toMillis(), TimeUnit.MILLISECONDS);
    ClaimExplanations explanations = new ClaimExplanations(view, AllocationBudget.DEFAULT);
    MetricsServer server =
        MetricsServer.start(
            new InetSocketAddress(config.metricsPort()),
            registry,
            view::synced,
            explanations::explain);
    LOG.info("Serving /metrics, /healthz and /explain on port {}", server.port());

    // Only the leader writes Events; every replica serves metrics and explanations.
    PendingClaimReporter reporter =
        new PendingClaimReporter(
            client,
            view,
            explanations,
            () -> view.classifier(DriverNames.DRIVER),
            Clock.systemUTC(),
            config.explainAfter(),
            config.eventRepeat(),
            config.eventsPerPass());
    PreboundController prebound = Prebound.start(client, view, webhookConfig, registry);
    Webhooks webhooks = Prebound.serveWebhooks(client, view, webhookConfig);
    AtomicReference<ScheduledFuture<?>> reporting = new AtomicReference<>();
    LeaderElection election =
        LeaderElection.start(
            client,
            config.leaseNamespace(),
            config.identity(),
            Duration.ofSeconds(15),
            () -> {
              prebound.leading(true);
              reporting.set(
                  reporterScheduler.scheduleWithFixedDelay(
                      () -> report(reporter),
                      0,
                      config.refreshInterval().toMillis(),
                      TimeUnit.MILLISECONDS));
            },
            () -> {
              prebound.leading(false);
              ScheduledFuture<?> task = reporting.getAndSet(null);
              if (task != null) {
                task.cancel(false);
              }
            });

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("Stopping");
                  election.close();
                  if (webhooks != null) {
                    webhooks.close();
                  }
                  prebound.close();
                  server.close();
                  refresher.shutdownNow();
                  reporterScheduler.shutdownNow();
                  view.close();
                  client.close();
                  stopped.countDown();
                },
                "shutdown"));
    stopped.await();
  }
}
