package dev.gpudra.controller.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.gpudra.runtime.KubernetesKinds;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's admission webhook endpoint: HTTPS on a port of its own, {@code POST} of an
 * {@code admission.k8s.io/v1} AdmissionReview per route, plus {@code GET /healthz}.
 *
 * <p>Only TLS 1.3 and 1.2 are offered, whatever the JVM would allow: the API server speaks both,
 * and nothing older should ever reach an endpoint that rewrites pods. The key comes from a {@link
 * ReloadingKeyManager}, so a rotated certificate is served without a restart.
 *
 * <p>Requests run on a small pool of threads, so a slow review never blocks the health probe.
 * Thread-safe.
 */
public final class WebhookServer implements AutoCloseable {

  /** The protocols offered, newest first. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);
  private static final int THREADS = 4;
  private static final int BACKLOG = 64;

  /** AdmissionReviews are bounded by the API server's request limit; refuse anything larger. */
  private static final int MAX_BODY = 8 * 1024 * 1024;

  // Reads reviews of the kinds the webhooks admit, typed; fabric8's static Serialization would look
  // the object's kind up among every model class on the class path, loading them all.
  private static final KubernetesSerialization REVIEWS =
      KubernetesKinds.serialization(List.of(Pod.class, ResourceClaim.class));

  private final HttpsServer server;
  private final ExecutorService executor;

  private WebhookServer(HttpsServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code address} (port 0: any free port) and serves {@code routes}, path to handler.
   *
   * @throws IOException when the address cannot be bound or TLS cannot be set up
   */
  public static WebhookServer start(
      InetSocketAddress address, ReloadingKeyManager keys, Map<String, AdmissionHandler> routes)
      throws IOException {
    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(new KeyManager[] {keys}, null, null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS: " + e.getMessage(), e);
    }
    HttpsServer server = HttpsServer.create(address, BACKLOG);
    server.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters ssl = tls.getDefaultSSLParameters();
            ssl.setProtocols(PROTOCOLS.toArray(String[]::new));
            ssl.setNeedClientAuth(false);
            params.setSSLParameters(ssl);
          }
        });
    AtomicInteger count = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "webhook-https-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    new LinkedHashMap<>(routes)
        .forEach(
            (path, handler) ->
                server.createContext(
                    path, e -> serve(e, Objects.requireNonNull(handler, "handler"))));
    server.createContext("/healthz", WebhookServer::healthz);
    server.start();
    return new WebhookServer(server, executor);
  }

  private static void healthz(HttpExchange exchange) throws IOException {
    respond(exchange, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8));
  }

  private static void serve(HttpExchange exchange, AdmissionHandler handler) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      respond(exchange, 405, "text/plain", "POST an AdmissionReview\n".getBytes(UTF8));
      return;
    }
    AdmissionReview review;
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(MAX_BODY + 1);
      if (body.length > MAX_BODY) {
        respond(exchange, 413, "text/plain", "AdmissionReview too large\n".getBytes(UTF8));
        return;
      }
      review = REVIEWS.unmarshal(new String(body, UTF8), AdmissionReview.class);
    } catch (RuntimeException e) {
      respond(exchange, 400, "text/plain", ("not an AdmissionReview: " + e + "\n").getBytes(UTF8));
      return;
    }
    if (review == null || review.getRequest() == null) {
      respond(exchange, 400, "text/plain", "AdmissionReview without a request\n".getBytes(UTF8));
      return;
    }
    AdmissionResponse response;
    try {
      response = handler.review(review.getRequest());
    } catch (RuntimeException e) {
      LOG.warn(
          "Reviewing {} {} failed",
          review.getRequest().getOperation(),
          review.getRequest().getName(),
          e);
      respond(exchange, 500, "text/plain", ("review failed: " + e + "\n").getBytes(UTF8));
      return;
    }
    response.setUid(review.getRequest().getUid());
    AdmissionReview answer =
        new AdmissionReviewBuilder()
            .withApiVersion("admission.k8s.io/v1")
            .withKind("AdmissionReview")
            .withResponse(response)
            .build();
    respond(exchange, 200, "application/json", Serialization.asJson(answer).getBytes(UTF8));
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  private static void respond(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving at once. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
