package dev.gpudra.controller.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gpudra.controller.explain.ClaimExplanations;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * Serves {@code /metrics} (Prometheus text format), {@code /healthz} (200 while healthy, 503
 * otherwise) and {@code /explain/<namespace>/<claim>} (why a claim is pending, as text) on the
 * JDK's HTTP server.
 */
public final class MetricsServer implements AutoCloseable {

  private static final String TEXT = "text/plain; charset=utf-8";

  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Starts serving on {@code address} (port 0 picks a free port). */
  public static MetricsServer start(
      InetSocketAddress address,
      PrometheusMeterRegistry registry,
      BooleanSupplier healthy,
      ClaimExplanations explanations)
      throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    server.createContext(
        "/explain/",
        exchange -> {
          String[] parts = exchange.getRequestURI().getPath().split("/");
          if (parts.length != 4 || parts[2].isEmpty() || parts[3].isEmpty()) {
            respond(exchange, 400, TEXT, "use /explain/<namespace>/<claim>\n");
            return;
          }
          var explanation = explanations.explain(parts[2], parts[3]);
          if (explanation.isEmpty()) {
            respond(exchange, 404, TEXT, "no claim " + parts[2] + "/" + parts[3] + "\n");
          } else {
            respond(exchange, 200, TEXT, explanation.get().text() + "\n");
          }
        });
    server.createContext(
        "/metrics",
        exchange ->
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.createContext(
        "/healthz",
        exchange ->
            respond(
                exchange,
                healthy.getAsBoolean() ? 200 : 503,
                TEXT,
                healthy.getAsBoolean() ? "ok\n" : "cluster view not synced\n"));
    server.start();
    return new MetricsServer(server);
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
