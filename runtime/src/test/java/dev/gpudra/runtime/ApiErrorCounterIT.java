package dev.gpudra.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * A client with the counter installed, against a stand-in API server (the status server answering
 * fixed statuses) and against a port nobody listens on: outages count by kind, the API's ordinary
 * answers do not, and the counts show on the registry.
 */
class ApiErrorCounterIT {

  @Test
  void countsServerErrorsAndThrottlingButNotOrdinaryAnswers() throws Exception {
    ApiErrorCounter counter = new ApiErrorCounter();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    counter.bindTo(registry);
    try (StatusServer server =
            StatusServer.on(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .route(
                    "/api/v1/namespaces/down", path -> StatusResponse.text(503, "etcd is away\n"))
                .route("/api/v1/namespaces/busy", path -> StatusResponse.text(429, "slow down\n"))
                .route("/api/v1/namespaces/gone", path -> StatusResponse.text(404, "{}"))
                .start();
        KubernetesClient client = client(counter, server.port(), 0)) {
      assertThatThrownBy(() -> client.pods().inNamespace("down").withName("p").get())
          .isInstanceOf(KubernetesClientException.class);
      assertThatThrownBy(() -> client.pods().inNamespace("busy").withName("p").get())
          .isInstanceOf(KubernetesClientException.class);
      assertThat(client.pods().inNamespace("gone").withName("p").get()).isNull();

      assertThat(counter.count("server")).isEqualTo(1);
      assertThat(counter.count("throttled")).isEqualTo(1);
      assertThat(counter.count("connection")).isZero();
      assertThat(
              registry.get(ApiErrorCounter.METER).tag("kind", "server").functionCounter().count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void countsCallsThatGetNoAnswer() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    ApiErrorCounter counter = new ApiErrorCounter();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    counter.bindTo(registry);
    // The client tells its interceptors of a connection failure when it decides about a retry.
    try (KubernetesClient client = client(counter, closedPort, 1)) {
      assertThatThrownBy(() -> client.pods().inNamespace("any").withName("p").get())
          .isInstanceOf(KubernetesClientException.class);
    }
    assertThat(counter.count("connection")).isPositive();
    assertThat(
            registry.get(ApiErrorCounter.METER).tag("kind", "connection").functionCounter().count())
        .isPositive();
    assertThat(counter.count("server")).isZero();
  }

  /** A client of {@code port} that retries a failed call {@code retries} times, quickly. */
  private static KubernetesClient client(ApiErrorCounter counter, int port, int retries) {
    return counter
        .installOn(
            new KubernetesClientBuilder()
                .withConfig(
                    new ConfigBuilder(Config.empty())
                        .withMasterUrl("http://127.0.0.1:" + port)
                        .withRequestRetryBackoffLimit(retries)
                        .withRequestRetryBackoffInterval(10)
                        .withConnectionTimeout(2000)
                        .build()))
        .build();
  }
}
