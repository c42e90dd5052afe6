package dev.gpudra.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemons' status HTTP server ({@code /metrics}, {@code /healthz}, and whatever else a daemon
 * routes) on the JDK's HTTP server.
 *
 * <p>Two guarantees every route gets, because a liveness probe depends on them:
 *
 * <ul>
 *   <li>Requests run on a pool of {@value #THREADS} threads, so one slow route (say an explanation
 *       that runs the allocator over a large cluster) does not hold up {@code /healthz} or {@code
 *       /metrics}.
 *   <li>A route that throws is answered with 500 and a one-line message, and the failure is logged
 *       once; the client never sees a dropped connection.
 * </ul>
 *
 * <p>Paths without a route are answered 404 by the JDK server. Thread-safe.
 */
public final class StatusServer implements AutoCloseable {

  /** Request threads: enough for a slow route or two beside the probes and the scraper. */
  static final int THREADS = 4;

  private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
  private static final int BACKLOG = 16;

  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicBoolean closed = new AtomicBoolean();

  private StatusServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts collecting routes for a server on {@code address} (port 0: any free port). */
  public static Builder on(InetSocketAddress address) {
    return new Builder(address);
  }

  /** The routes of a server not started yet. Not thread-safe. */
  public static final class Builder {
    private final InetSocketAddress address;
    private final Map<String, StatusRoute> routes = new LinkedHashMap<>();
    private String threadName = "status-http";

    private Builder(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
    }

    /**
     * Serves {@code route} for {@code prefix} and every path below it (the JDK server's context
     * matching: the longest matching prefix wins).
     */
    public Builder route(String prefix, StatusRoute route) {
      if (routes.putIfAbsent(prefix, Objects.requireNonNull(route, "route")) != null) {
        throw new IllegalArgumentException("two routes for " + prefix);
      }
      return this;
    }

    /** Names the request threads ({@code <name>-<n>}), for thread dumps. */
    public Builder threadName(String name) {
      this.threadName = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException when the address cannot be bound
     */
    public StatusServer start() throws IOException {
      HttpServer server = HttpServer.create(address, BACKLOG);
      AtomicInteger count = new AtomicInteger();
      ExecutorService executor =
          Executors.newFixedThreadPool(
              THREADS,
              r -> {
                Thread t = new Thread(r, threadName + "-" + count.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      routes.forEach((prefix, route) -> server.createContext(prefix, e -> serve(e, route)));
      server.start();
      return new StatusServer(server, executor);
    }
  }

  private static void serve(HttpExchange exchange, StatusRoute route) {
    String path = exchange.getRequestURI().getPath();
    StatusResponse response;
    try {
      response = route.answer(path);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      response = failed(path, e);
    } catch (Exception e) {
      response = failed(path, e);
    }
    try (exchange) {
      byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", response.contentType());
      exchange.sendResponseHeaders(response.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // The client went away; nothing is left to answer.
      LOG.debug("Answering {} failed", path, e);
    }
  }

  private static StatusResponse failed(String path, Exception e) {
    LOG.warn("Answering {} failed", path, e);
    return StatusResponse.text(500, "internal error: " + e.getClass().getSimpleName() + "\n");
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving at once and ends the request threads. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    executor.shutdownNow();
  }
}
