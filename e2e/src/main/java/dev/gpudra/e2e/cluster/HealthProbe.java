package dev.gpudra.e2e.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Polls the health endpoints of the components ({@code /readyz}, {@code /healthz}) over HTTPS that
 * trusts only the harness's CA. Used only while a control plane starts.
 */
final class HealthProbe {

  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private final HttpClient http;
  private final String bearerToken;

  HealthProbe(Path caCert, String bearerToken) {
    this.http =
        HttpClient.newBuilder()
            .sslContext(trusting(caCert))
            .connectTimeout(REQUEST_TIMEOUT)
            .build();
    this.bearerToken = bearerToken;
  }

  /**
   * Waits until {@code uri} answers 200, failing early if one of {@code running} exits (a component
   * that crashed at start-up would otherwise cost the whole timeout).
   *
   * @param authenticated send the admin token (the API server's {@code /readyz} needs it)
   * @return how long it took
   */
  Duration await(URI uri, boolean authenticated, Duration timeout, List<ComponentProcess> running) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      running.forEach(ComponentProcess::requireAlive);
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET();
      if (authenticated) {
        request.header("Authorization", "Bearer " + bearerToken);
      }
      try {
        HttpResponse<String> response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
        last = response.statusCode() + ": " + response.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + uri, e);
      }
      Poll.sleep(POLL);
    }
    throw new IllegalStateException(uri + " not ready after " + timeout + "; last answer: " + last);
  }

  private static SSLContext trusting(Path caCert) {
    try (InputStream in = Files.newInputStream(caCert)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry(
          "gpudra-e2e-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot trust " + caCert, e);
    }
  }
}
