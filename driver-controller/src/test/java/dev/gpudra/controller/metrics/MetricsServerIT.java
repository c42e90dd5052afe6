package dev.gpudra.controller.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.explain.Explanation;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The controller's status endpoints under a slow or failing explanation: the liveness probe and the
 * scraper must not wait for the allocator, and a failed explanation must still be answered.
 */
class MetricsServerIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static MetricsServer start(MetricsServer.Explainer explainer) throws IOException {
    return MetricsServer.start(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        () -> true,
        explainer);
  }

  private static HttpRequest get(MetricsServer server, String path, Duration timeout) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(timeout)
        .build();
  }

  private static HttpResponse<String> send(MetricsServer server, String path, Duration timeout)
      throws IOException, InterruptedException {
    return HTTP.send(get(server, path, timeout), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthAndMetricsAreAnsweredWithinASecondWhileAnExplanationIsBlocked() throws Exception {
    CountDownLatch explaining = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    MetricsServer.Explainer blocked =
        (namespace, name) -> {
          explaining.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return Optional.of(new Explanation(namespace, name, "claim ml/big waits", List.of()));
        };
    try (MetricsServer server = start(blocked)) {
      CompletableFuture<HttpResponse<String>> explanation =
          HTTP.sendAsync(
              get(server, "/explain/ml/big", Duration.ofSeconds(30)),
              HttpResponse.BodyHandlers.ofString());
      assertThat(explaining.await(10, TimeUnit.SECONDS)).isTrue();

      // The client gives up after one second, as a kubelet's liveness probe would.
      HttpResponse<String> health = send(server, "/healthz", Duration.ofSeconds(1));
      HttpResponse<String> metrics = send(server, "/metrics", Duration.ofSeconds(1));

      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("ok\n");
      assertThat(metrics.statusCode()).isEqualTo(200);
      release.countDown();
      assertThat(explanation.get(10, TimeUnit.SECONDS).body()).isEqualTo("claim ml/big waits\n");
    } finally {
      release.countDown();
    }
  }

  @Test
  void anExplanationThatThrowsIsAnsweredWith500() throws Exception {
    try (MetricsServer server =
        start(
            (namespace, name) -> {
              throw new IllegalStateException("selector cache broken");
            })) {
      HttpResponse<String> response = send(server, "/explain/ml/big", Duration.ofSeconds(5));

      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(response.body()).isEqualTo("internal error: IllegalStateException\n");
      assertThat(send(server, "/healthz", Duration.ofSeconds(5)).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aMalformedExplainPathIsABadRequest() throws Exception {
    try (MetricsServer server = start((namespace, name) -> Optional.empty())) {
      HttpResponse<String> response = send(server, "/explain/only-a-name", Duration.ofSeconds(5));

      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(response.body()).isEqualTo("use /explain/<namespace>/<claim>\n");
    }
  }
}
