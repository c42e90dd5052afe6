package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin's {@code /readyz}, the chart's readiness probe: the pod is ready only once the kubelet
 * has registered the plugin (and its slices are published), and no longer when the kubelet reports
 * a failed registration. A DaemonSet rolling update waits for it before it removes the old pod.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class ReadinessProbeIT {

  private static final Pattern PORT = Pattern.compile("metrics and /healthz on port (\\d+)");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path root;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void readyOnlyWhileTheKubeletHoldsThePluginRegistered() throws Exception {
    FakeNode node = FakeNode.create(root, "node-a", "a100-8x");
    Path log = root.resolve("plugin.log");
    try (PluginProcess plugin =
            PluginProcess.start(
                node.env(client.getMasterUrl().toString()), log, Duration.ofSeconds(90));
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      assertThat(plugin.alive()).as("plugin serving").isTrue();
      String readyz = "http://127.0.0.1:" + port(log) + "/readyz";
      String healthz = readyz.replace("/readyz", "/healthz");

      HttpResponse<String> before = get(readyz);
      assertThat(before.statusCode()).isEqualTo(503);
      assertThat(before.body()).contains("not registered with the kubelet yet");
      assertThat(get(healthz).statusCode()).as("alive all the same").isEqualTo(200);

      Path socket = kubelet.discoverRegistrationSockets().get(0);
      kubelet.register(socket);
      HttpResponse<String> registered = awaitStatus(readyz, 200);
      assertThat(registered.body()).isEqualTo("ok\n");
      assertThat(client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems())
          .as("slices published before ready")
          .isNotEmpty();

      kubelet.notifyRegistrationStatus(socket, false, "plugin validation failed: test");
      HttpResponse<String> rejected = get(readyz);
      assertThat(rejected.statusCode()).isEqualTo(503);
      assertThat(rejected.body())
          .contains("the kubelet rejected the registration: plugin validation failed: test");

      kubelet.register(socket);
      assertThat(get(readyz).statusCode()).as("registered again").isEqualTo(200);
    }
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The slices are published by a thread of their own: polls until {@code status} comes. */
  private HttpResponse<String> awaitStatus(String url, int status) throws Exception {
    Instant deadline = Instant.now().plus(TIMEOUT);
    HttpResponse<String> response = get(url);
    while (response.statusCode() != status && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
      response = get(url);
    }
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    return response;
  }

  private static String port(Path log) throws IOException {
    Matcher m = PORT.matcher(Files.readString(log));
    assertThat(m.find()).as("metrics port logged in " + log).isTrue();
    return m.group(1);
  }
}
