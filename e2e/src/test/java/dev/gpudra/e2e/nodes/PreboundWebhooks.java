package dev.gpudra.e2e.nodes;

import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.cluster.ControlPlane;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The chart's webhook configurations registered with the e2e API server, pointed at a driver
 * controller that runs as a child JVM on a loopback port and serves with the control plane's own
 * serving certificate (valid for 127.0.0.1, signed by the CA the configurations trust).
 */
public final class PreboundWebhooks {

  private PreboundWebhooks() {}

  /** The controller's environment for serving the webhooks on {@code port}. */
  public static Map<String, String> controllerEnv(ControlPlane plane, int port) throws IOException {
    Path pki = plane.workDir().resolve("pki");
    Path certs = Files.createDirectories(plane.workDir().resolve("webhook-tls"));
    Files.copy(
        pki.resolve("serving.crt"), certs.resolve("tls.crt"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(
        pki.resolve("serving.key"), certs.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
    return Map.of(
        "GPUDRA_WEBHOOK_PORT", Integer.toString(port),
        "GPUDRA_WEBHOOK_CERT_DIR", certs.toString(),
        "GPUDRA_PREBOUND_RESYNC", "PT1S");
  }

  /**
   * Creates the chart's mutating and validating webhook configurations (chart defaults plus {@code
   * webhook.enabled=true}) with their service replaced by {@code https://127.0.0.1:<port>}.
   *
   * @return deletes them again
   */
  public static AutoCloseable register(ControlPlane plane, int port) throws IOException {
    String caBundle =
        Base64.getEncoder()
            .encodeToString(Files.readAllBytes(plane.workDir().resolve("pki").resolve("ca.crt")));
    List<HasMetadata> chart = ChartManifests.render(plane, "gpudra", "webhook.enabled=true");
    List<HasMetadata> created = new ArrayList<>();
    for (MutatingWebhookConfiguration m :
        ChartManifests.ofType(chart, MutatingWebhookConfiguration.class)) {
      m.getWebhooks().forEach(w -> loopback(w.getClientConfig(), port, caBundle));
      created.add(plane.client().resource(m).create());
    }
    for (ValidatingWebhookConfiguration v :
        ChartManifests.ofType(chart, ValidatingWebhookConfiguration.class)) {
      v.getWebhooks().forEach(w -> loopback(w.getClientConfig(), port, caBundle));
      created.add(plane.client().resource(v).create());
    }
    return () -> created.forEach(o -> plane.client().resource(o).delete());
  }

  private static void loopback(WebhookClientConfig config, int port, String caBundle) {
    config.setUrl("https://127.0.0.1:" + port + config.getService().getPath());
    config.setService(null);
    config.setCaBundle(caBundle);
  }
}
