package dev.gpudra.controller.webhook;

import dev.gpudra.core.config.EnvReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The settings of the admission webhooks and the pre-bound allocator, one per environment variable
 * (Helm values {@code webhook.*} and {@code prebound.*} map to them). Kept apart from the
 * controller's main settings because all of it can be off.
 *
 * @param port {@value #PORT}: HTTPS port of the webhooks; 0 turns the server off (default 0; the
 *     chart sets 9443 when {@code webhook.enabled})
 * @param certDir {@value #CERT_DIR}: directory of {@code tls.crt} and {@code tls.key} (default
 *     {@code /etc/gpudra/webhook-tls})
 * @param certReload {@value #CERT_RELOAD}: how often the certificate files are checked for a
 *     rotation (default 1 min)
 * @param preboundAllocation {@value #PREBOUND_ALLOCATION}: whether the controller allocates the
 *     claims of rewritten pre-bound pods (default true)
 * @param preboundResync {@value #PREBOUND_RESYNC}: period of the pre-bound allocator's full pass,
 *     which catches freed GPUs (default 5 s)
 */
public record WebhookConfig(
    int port,
    Path certDir,
    Duration certReload,
    boolean preboundAllocation,
    Duration preboundResync) {

  public static final String PORT = "GPUDRA_WEBHOOK_PORT";
  public static final String CERT_DIR = "GPUDRA_WEBHOOK_CERT_DIR";
  public static final String CERT_RELOAD = "GPUDRA_WEBHOOK_CERT_RELOAD";
  public static final String PREBOUND_ALLOCATION = "GPUDRA_PREBOUND_ALLOCATION";
  public static final String PREBOUND_RESYNC = "GPUDRA_PREBOUND_RESYNC";

  /** Validates. */
  public WebhookConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(PORT + " must be 0..65535, got " + port);
    }
    positive(CERT_RELOAD, certReload);
    positive(PREBOUND_RESYNC, preboundResync);
  }

  /** Reads the settings; unset keys take their defaults. */
  public static WebhookConfig fromEnv(Map<String, String> env) {
    EnvReader reader = new EnvReader(env);
    return new WebhookConfig(
        reader.integer(PORT, 0),
        Path.of(reader.string(CERT_DIR, "/etc/gpudra/webhook-tls")),
        duration(reader, CERT_RELOAD, Duration.ofMinutes(1)),
        reader.bool(PREBOUND_ALLOCATION, true),
        duration(reader, PREBOUND_RESYNC, Duration.ofSeconds(5)));
  }

  /** Whether the webhook server runs. */
  public boolean serving() {
    return port > 0;
  }

  private static Duration duration(EnvReader reader, String key, Duration fallback) {
    return reader.value(
        key, fallback, Duration::parse, "must be an ISO-8601 duration such as PT30S");
  }

  private static void positive(String key, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be positive, got " + value);
    }
  }
}
