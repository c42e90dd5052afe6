package dev.gpudra.plugin.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * HTTP endpoints on the JDK's server: {@code /metrics} (Prometheus text) and {@code /healthz},
 * which answers 200 only when the liveness check passes (it calls the plugin's own sockets, so a
 * wedged gRPC server fails the probe) and 503 with the reason otherwise.
 */
public final class MetricsServer implements AutoCloseable {

  /** A liveness check: null when healthy, else the reason. */
  @FunctionalInterface
  public interface LivenessCheck extends Supplier<String> {}

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves on {@code port} (0: any free port) on all interfaces.
   *
   * @throws IOException when the port cannot be bound
   */
  public static MetricsServer start(
      int port, PrometheusMeterRegistry registry, LivenessCheck liveness) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "metrics-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/metrics",
        exchange ->
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.createContext(
        "/healthz",
        exchange -> {
          String problem;
          try {
            problem = liveness.get();
          } catch (RuntimeException e) {
            // An exception in a handler would drop the connection without an answer.
            problem = "liveness check failed: " + e;
          }
          respond(
              exchange,
              problem == null ? 200 : 503,
              "text/plain; charset=utf-8",
              problem == null ? "ok\n" : problem + "\n");
        });
    server.start();
    return new MetricsServer(server, executor);
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
