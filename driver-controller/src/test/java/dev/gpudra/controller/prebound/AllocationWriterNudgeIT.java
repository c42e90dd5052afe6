package dev.gpudra.controller.prebound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The kubelet nudge as the API server sees it: the chart lets the controller patch pods, not read
 * them one by one, so the nudge must be one PATCH and nothing else (on a real cluster a read before
 * it was refused, and every pre-bound pod waited for its kubelet's resync, about a minute).
 */
@EnableKubernetesMockClient
class AllocationWriterNudgeIT {

  private static final String PATH = "/api/v1/namespaces/batch-jobs/pods/aws-batch.job-1";

  KubernetesClient client;
  KubernetesMockServer server;

  private static final SlimPod POD =
      new SlimPod(
          "batch-jobs", "aws-batch.job-1", "uid-1", "7", "node-a", "Pending", Map.of(), List.of());

  @Test
  void theNudgeIsOneMergePatchOfThePodsAnnotationAndNoRead() throws InterruptedException {
    server
        .expect()
        .patch()
        .withPath(PATH)
        .andReturn(
            200, new PodBuilder().withNewMetadata().withName(POD.name()).endMetadata().build())
        .once();
    Instant now = Instant.parse("2026-12-03T22:42:45Z");

    new AllocationWriter(client).nudge(POD, now);

    assertThat(server.getRequestCount()).isEqualTo(1);
    RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(request.getMethod()).isEqualTo("PATCH");
    assertThat(request.getPath()).isEqualTo(PATH);
    assertThat(request.getHeader("Content-Type")).startsWith("application/merge-patch+json");
    assertThat(request.getBody().readUtf8())
        .isEqualTo(
            "{\"metadata\":{\"annotations\":{\""
                + AllocationWriter.ALLOCATED_ANNOTATION
                + "\":\"2026-12-03T22:42:45Z\"}}}");
  }

  @Test
  void aRefusedNudgeIsNotAFailureOfThePass() {
    server.expect().patch().withPath(PATH).andReturn(403, "forbidden").once();

    new AllocationWriter(client).nudge(POD, Instant.now());

    assertThat(server.getRequestCount()).isEqualTo(1);
  }
}
