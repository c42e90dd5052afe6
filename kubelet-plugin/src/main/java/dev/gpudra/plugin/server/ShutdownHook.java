package dev.gpudra.plugin.server;

import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a resource when the JVM shuts down, in particular on SIGTERM from the kubelet or the
 * container runtime, so that the plugin's sockets are removed instead of left for the kubelet to
 * find dead.
 *
 * <p>Main installs one around the running servers; a path that closes the servers itself calls
 * {@link #remove()} first. Closing twice is harmless for {@link KubeletPluginServers} anyway.
 */
public final class ShutdownHook {

  private static final Logger LOG = LoggerFactory.getLogger(ShutdownHook.class);

  private final Thread thread;

  private ShutdownHook(Thread thread) {
    this.thread = thread;
  }

  /** Registers {@code resource} to be closed on JVM shutdown. */
  public static ShutdownHook install(String name, AutoCloseable resource) {
    Objects.requireNonNull(resource, "resource");
    Thread thread =
        new Thread(
            () -> {
              LOG.info("Shutting down: closing {}", name);
              try {
                resource.close();
              } catch (Exception e) {
                LOG.error("Failed to close {} during shutdown", name, e);
              }
            },
            "shutdown-" + name);
    Runtime.getRuntime().addShutdownHook(thread);
    return new ShutdownHook(thread);
  }

  /** Unregisters the hook; a no-op once the JVM is already shutting down. */
  public void remove() {
    try {
      Runtime.getRuntime().removeShutdownHook(thread);
    } catch (IllegalStateException e) {
      // Shutdown in progress: the hook runs (or ran) anyway.
    }
  }
}
