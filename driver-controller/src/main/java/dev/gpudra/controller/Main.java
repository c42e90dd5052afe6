package dev.gpudra.controller;

import dev.gpudra.controller.config.ControllerConfig;
import dev.gpudra.controller.metrics.ClusterMetrics;
import dev.gpudra.controller.metrics.MetricsServer;
import dev.gpudra.controller.view.ClusterView;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The driver controller: builds the cluster view and serves claim and device metrics. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    ControllerConfig config;
    try {
      config = ControllerConfig.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("gpudra-controller: " + e.getMessage());
      System.exit(2);
      return;
    }
    LOG.info("Starting with {}", config);
    KubernetesClient client = new KubernetesClientBuilder().build();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ClusterView view = new ClusterView(client);
    ClusterMetrics metrics =
        new ClusterMetrics(view, ControllerConfig.DRIVER_NAME, registry, Clock.systemUTC());
    view.start(config.syncTimeout());
    ScheduledExecutorService refresher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "metrics-refresh");
              thread.setDaemon(true);
              return thread;
            });
    var unused =
        refresher.scheduleWithFixedDelay(
            metrics::refresh, 0, config.refreshInterval().toMillis(), TimeUnit.MILLISECONDS);
    MetricsServer server =
        MetricsServer.start(new InetSocketAddress(config.metricsPort()), registry, view::synced);
    LOG.info("Serving /metrics and /healthz on port {}", server.port());

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("Stopping");
                  server.close();
                  refresher.shutdownNow();
                  view.close();
                  client.close();
                  stopped.countDown();
                },
                "shutdown"));
    stopped.await();
  }
}
