package dev.gpudra.plugin.server;

import io.grpc.Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server listening on one unix socket, made by {@link UnixSocketServerFactory}.
 *
 * <p>Closing stops accepting calls, gives in-flight calls the factory's grace period, cancels what
 * is left, and removes the socket file. Removing unconditionally is safe because socket names are
 * per plugin instance ({@link PluginSockets}): no other live process serves on this path. Closing
 * is idempotent and thread-safe.
 */
public final class ServingSocket implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServingSocket.class);

  private final Path path;
  private final Server server;
  private final Duration grace;

  ServingSocket(Path path, Server server, Duration grace) {
    this.path = Objects.requireNonNull(path, "path");
    this.server = Objects.requireNonNull(server, "server");
    this.grace = Objects.requireNonNull(grace, "grace");
  }

  /** Absolute path of the socket. */
  public Path path() {
    return path;
  }

  /** True until {@link #close()} begins. */
  public boolean isServing() {
    return !server.isShutdown();
  }

  @Override
  public synchronized void close() {
    if (server.isTerminated()) {
      return;
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("Calls on {} still running after {}; cancelling them", path, grace);
        server.shutdownNow();
        server.awaitTermination(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      removeSocket();
    }
  }

  // Netty unlinks the path when the listening channel closes; this covers a listener that never
  // got that far, so that no dead socket is left for the kubelet to dial.
  private void removeSocket() {
    try {
      Files.deleteIfExists(path);
      LOG.info("Stopped serving on {}; socket removed", path);
    } catch (IOException e) {
      LOG.warn("Could not remove socket {}", path, e);
    }
  }
}
