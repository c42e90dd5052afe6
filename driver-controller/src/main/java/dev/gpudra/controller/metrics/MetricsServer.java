package dev.gpudra.controller.metrics;

import dev.gpudra.core.explain.Explanation;
import dev.gpudra.runtime.StatusResponse;
import dev.gpudra.runtime.StatusServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The controller's status endpoints, served by the shared {@link StatusServer}: {@code /metrics}
 * (Prometheus text format), {@code /healthz} (200 while the view is synced, 503 otherwise) and
 * {@code /explain/<namespace>/<claim>} (why a claim is pending, as text).
 *
 * <p>An explanation can take long on a large cluster; the status server's request threads keep
 * {@code /healthz} and {@code /metrics} answering meanwhile, and an explanation that fails is
 * answered with 500. This class only routes.
 */
public final class MetricsServer implements AutoCloseable {

  /** Looks up and explains one claim; empty when there is no such claim. */
  @FunctionalInterface
  public interface Explainer {
    Optional<Explanation> explain(String namespace, String name);
  }

  private final StatusServer server;

  private MetricsServer(StatusServer server) {
    this.server = server;
  }

  /**
   * Starts serving on {@code address} (port 0 picks a free port).
   *
   * @throws IOException when the address cannot be bound
   */
  public static MetricsServer start(
      InetSocketAddress address,
      PrometheusMeterRegistry registry,
      BooleanSupplier healthy,
      Explainer explanations)
      throws IOException {
    return new MetricsServer(
        StatusServer.on(address)
            .threadName("controller-http")
            .route("/explain/", path -> explain(path, explanations))
            .route(
                "/metrics",
                path -> new StatusResponse(200, StatusResponse.PROMETHEUS, registry.scrape()))
            .route(
                "/healthz",
                path ->
                    healthy.getAsBoolean()
                        ? StatusResponse.text(200, "ok\n")
                        : StatusResponse.text(503, "cluster view not synced\n"))
            .start());
  }

  private static StatusResponse explain(String path, Explainer explanations) {
    String[] parts = path.split("/");
    if (parts.length != 4 || parts[2].isEmpty() || parts[3].isEmpty()) {
      return StatusResponse.text(400, "use /explain/<namespace>/<claim>\n");
    }
    return explanations
        .explain(parts[2], parts[3])
        .map(explanation -> StatusResponse.text(200, explanation.text() + "\n"))
        .orElseGet(() -> StatusResponse.text(404, "no claim " + parts[2] + "/" + parts[3] + "\n"));
  }

  /** The port actually bound. */
  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
  }
}
