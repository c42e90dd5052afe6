package dev.gpudra.controller.webhook;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's webhook endpoint as {@code Main} starts it: the server on its port with the
 * routes the chart's webhook configurations call, and the certificate-rotation check.
 */
public final class Webhooks implements AutoCloseable {

  /** Path of the mutating webhook for pods. */
  public static final String MUTATE_PODS = "/mutate-pods";

  /** Path of the validating webhook for ResourceClaims and ResourceClaimTemplates. */
  public static final String VALIDATE_CLAIMS = "/validate-resourceclaims";

  private final WebhookServer server;
  private final ScheduledExecutorService reloader;

  private Webhooks(WebhookServer server, ScheduledExecutorService reloader) {
    this.server = server;
    this.reloader = reloader;
  }

  /**
   * Starts serving {@code podMutator} and {@code claimValidator}.
   *
   * @throws IOException when the certificate cannot be read or the port bound
   */
  public static Webhooks start(
      WebhookConfig config, AdmissionHandler podMutator, AdmissionHandler claimValidator)
      throws IOException {
    ReloadingKeyManager keys =
        new ReloadingKeyManager(
            config.certDir().resolve("tls.crt"), config.certDir().resolve("tls.key"));
    WebhookServer server =
        WebhookServer.start(
            new InetSocketAddress(config.port()),
            keys,
            Map.of(MUTATE_PODS, podMutator, VALIDATE_CLAIMS, claimValidator));
    ScheduledExecutorService reloader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "webhook-cert-reload");
              t.setDaemon(true);
              return t;
            });
    long period = config.certReload().toMillis();
    var unused =
        reloader.scheduleWithFixedDelay(
            keys::reloadIfChanged, period, period, TimeUnit.MILLISECONDS);
    return new Webhooks(server, reloader);
  }

  /** The port bound. */
  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    reloader.shutdownNow();
    server.close();
  }
}
