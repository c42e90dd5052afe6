package dev.gpudra.plugin.metrics;

import dev.gpudra.runtime.StatusResponse;
import dev.gpudra.runtime.StatusServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The plugin's status endpoints, served by the shared {@link StatusServer}: {@code /metrics}
 * (Prometheus text), {@code /healthz}, which answers 200 only when the liveness check passes (it
 * calls the plugin's own sockets, so a wedged gRPC server fails the probe) and 503 with the reason
 * otherwise, and {@code /readyz}, the same for the readiness check (the kubelet has registered the
 * plugin). Threads and error answers are the status server's; this class only routes.
 */
public final class MetricsServer implements AutoCloseable {

  /** A liveness check: null when healthy, else the reason. */
  @FunctionalInterface
  public interface LivenessCheck extends Supplier<String> {}

  /** A readiness check: null when ready to serve the kubelet, else the reason. */
  @FunctionalInterface
  public interface ReadinessCheck extends Supplier<String> {}

  private final StatusServer server;

  private MetricsServer(StatusServer server) {
    this.server = server;
  }

  /**
   * Serves on {@code port} (0: any free port) on all interfaces.
   *
   * @throws IOException when the port cannot be bound
   */
  public static MetricsServer start(
      int port, PrometheusMeterRegistry registry, LivenessCheck liveness, ReadinessCheck readiness)
      throws IOException {
    return new MetricsServer(
        StatusServer.on(new InetSocketAddress(port))
            .threadName("metrics-http")
            .route(
                "/metrics",
                path -> new StatusResponse(200, StatusResponse.PROMETHEUS, registry.scrape()))
            .route("/healthz", path -> answer(liveness, "liveness"))
            .route("/readyz", path -> answer(readiness, "readiness"))
            .start());
  }

  private static StatusResponse answer(Supplier<String> check, String what) {
    String problem;
    try {
      problem = check.get();
    } catch (RuntimeException e) {
      // A failing check is an unhealthy plugin (503 with the reason), not a server error.
      problem = what + " check failed: " + e;
    }
    return problem == null
        ? StatusResponse.text(200, "ok\n")
        : StatusResponse.text(503, problem + "\n");
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
  }
}
