package dev.gpudra.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StatusServerIT {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @Test
  void answersEachRouteWithItsStatusTypeAndBody() throws Exception {
    try (StatusServer server =
        localServer()
            .route("/healthz", path -> StatusResponse.text(503, "not synced\n"))
            .route("/metrics", path -> new StatusResponse(200, StatusResponse.PROMETHEUS, "m 1\n"))
            .start()) {
      HttpResponse<String> health = get(server, "/healthz", Duration.ofSeconds(5));
      HttpResponse<String> metrics = get(server, "/metrics", Duration.ofSeconds(5));

      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body()).isEqualTo("not synced\n");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).isEqualTo("m 1\n");
      assertThat(metrics.headers().firstValue("Content-Type")).hasValue(StatusResponse.PROMETHEUS);
    }
  }

  @Test
  void passesTheRequestPathToTheRoute() throws Exception {
    try (StatusServer server =
        localServer().route("/explain/", path -> StatusResponse.text(200, path)).start()) {
      assertThat(get(server, "/explain/ns/claim", Duration.ofSeconds(5)).body())
          .isEqualTo("/explain/ns/claim");
    }
  }

  @Test
  void healthIsAnsweredWithinASecondWhileAnotherRouteIsBlocked() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (StatusServer server =
        localServer()
            .route(
                "/explain/",
                path -> {
                  entered.countDown();
                  release.await();
                  return StatusResponse.text(200, "done\n");
                })
            .route("/healthz", path -> StatusResponse.text(200, "ok\n"))
            .start()) {
      CompletableFuture<HttpResponse<String>> slow =
          CLIENT.sendAsync(
              request(server, "/explain/ns/claim", Duration.ofSeconds(30)),
              HttpResponse.BodyHandlers.ofString());
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

      // The client gives up after one second: a server that serves on one thread fails here.
      HttpResponse<String> health = get(server, "/healthz", Duration.ofSeconds(1));

      assertThat(health.statusCode()).isEqualTo(200);
      release.countDown();
      assertThat(slow.get(10, TimeUnit.SECONDS).body()).isEqualTo("done\n");
    } finally {
      release.countDown();
    }
  }

  @Test
  void aRouteThatThrowsIsAnsweredWith500AndAShortMessage() throws Exception {
    try (StatusServer server =
        localServer()
            .route(
                "/explain/",
                path -> {
                  throw new IllegalStateException("allocator exploded");
                })
            .start()) {
      HttpResponse<String> response = get(server, "/explain/ns/claim", Duration.ofSeconds(5));

      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(response.body()).isEqualTo("internal error: IllegalStateException\n");
    }
  }

  @Test
  void keepsServingAfterARouteThrew() throws Exception {
    try (StatusServer server =
        localServer()
            .route(
                "/broken",
                path -> {
                  throw new IOException("disk gone");
                })
            .route("/healthz", path -> StatusResponse.text(200, "ok\n"))
            .start()) {
      for (int i = 0; i < 2 * StatusServer.THREADS; i++) {
        assertThat(get(server, "/broken", Duration.ofSeconds(5)).statusCode()).isEqualTo(500);
      }

      assertThat(get(server, "/healthz", Duration.ofSeconds(5)).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void pathsWithoutARouteAreNotFound() throws Exception {
    try (StatusServer server =
        localServer().route("/healthz", path -> StatusResponse.text(200, "ok\n")).start()) {
      assertThat(get(server, "/nothing", Duration.ofSeconds(5)).statusCode()).isEqualTo(404);
    }
  }

  private static StatusServer.Builder localServer() {
    return StatusServer.on(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  private static HttpRequest request(StatusServer server, String path, Duration timeout) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(timeout)
        .build();
  }

  private static HttpResponse<String> get(StatusServer server, String path, Duration timeout)
      throws IOException, InterruptedException {
    return CLIENT.send(request(server, path, timeout), HttpResponse.BodyHandlers.ofString());
  }
}
