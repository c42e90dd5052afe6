package dev.gpudra.e2e.nodes;

import dev.gpudra.e2e.examples.ExampleManifests;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;

/** The pod AWS Batch creates for a GPU job: {@code examples/aws-batch/pod.yaml}, varied. */
public final class BatchPods {

  private BatchPods() {}

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
