package dev.gpudra.controller.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * Serves {@code /metrics} (Prometheus text format) and {@code /healthz} (200 while healthy, 503
 * otherwise) on the JDK's HTTP server.
 */
public final class MetricsServer implements AutoCloseable {

  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Starts serving on {@code address} (port 0 picks a free port). */
  public static MetricsServer start(
      InetSocketAddress address, PrometheusMeterRegistry registry, BooleanSupplier healthy)
      throws IOException {
    HttpServer server = HttpServer.create(address, 0);
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
                "text/plain; charset=utf-8",
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
