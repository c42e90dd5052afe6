package dev.gpudra.e2e.nodes;

import dev.gpudra.e2e.examples.ExampleManifests;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;

/** The pod AWS Batch creates for a GPU job: {@code examples/aws-batch/pod.yaml}, varied. */
public final class BatchPods {

  /** The user AWS Batch acts as in the cluster ({@code examples/aws-batch/rbac.yaml}). */
  public static final String USER = "aws-batch";

  private BatchPods() {}

  /** A client that acts as AWS Batch: {@code admin} impersonating {@link #USER}. */
  public static KubernetesClient asBatch(KubernetesClient admin) {
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder(admin.getConfiguration()).withImpersonateUsername(USER).build())
        .build();
  }

  /**
   * examples/aws-batch/pod.yaml named {@code name}, bound to {@code node} (null: left to the
   * scheduler), asking {@code nvidia.com/gpu: gpus}.
   */
  public static Pod pod(KubernetesClient client, String name, String node, int gpus)
      throws IOException {
    Pod pod;
    try (InputStream in = Files.newInputStream(ExampleManifests.file("aws-batch", "pod.yaml"))) {
      pod = client.pods().load(in).item();
    }
    return new PodBuilder(pod)
        .editMetadata()
        .withName(name)
        .endMetadata()
        .editSpec()
        .withNodeName(node)
        .editFirstContainer()
        .editResources()
        .addToLimits("nvidia.com/gpu", new Quantity(Integer.toString(gpus)))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }
}
