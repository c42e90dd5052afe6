package dev.gpudra.controller.prebound;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class PreboundPodRewriteTest {

  private static final Map<String, String> MAPPING = Map.of("nvidia.com/gpu", "gpu.gpudra.dev");

  private static PodBuilder batchPod(String node, String gpus) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("aws-batch.1234")
        .withNamespace("batch-jobs")
        .addToLabels("batch.amazonaws.com/job-id", "1234")
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("main")
        .withImage("cuda")
        .withNewResources()
        .addToLimits("nvidia.com/gpu", new Quantity(gpus))
        .addToLimits("cpu", new Quantity("1"))
        .addToRequests("nvidia.com/gpu", new Quantity(gpus))
        .addToRequests("cpu", new Quantity("1"))
        .endResources()
        .endContainer()
        .endSpec();
  }

  private static Pod apply(Pod pod, PreboundPodRewrite rewrite) {
    JsonMapper json = JsonMapper.builder().build();
    var patched =
        JsonPatch.apply(
            json.readTree(Serialization.asJson(rewrite.patch())),
            json.readTree(Serialization.asJson(pod)));
    return Serialization.unmarshal(json.writeValueAsString(patched), Pod.class);
  }

  @Test
  void aPreboundPodAskingTwoGpusGetsAClaimForTwoFromTheTemplateInsteadOfTheExtendedResource() {
    Pod pod = batchPod("gpu-node-1", "2").build();

    PreboundPodRewrite rewrite = PreboundPodRewrite.of(pod, MAPPING).orElseThrow();
    Pod patched = apply(pod, rewrite);

    assertThat(rewrite.templates()).containsExactly(new ClaimTemplates.Shape("gpu.gpudra.dev", 2));
    var resources = patched.getSpec().getContainers().getFirst().getResources();
    assertThat(resources.getLimits()).containsOnlyKeys("cpu");
    assertThat(resources.getRequests()).containsOnlyKeys("cpu");
    assertThat(resources.getClaims())
        .singleElement()
        .satisfies(c -> assertThat(c.getName()).isEqualTo("gpudra-0"));
    assertThat(patched.getSpec().getResourceClaims())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getName()).isEqualTo("gpudra-0");
              assertThat(c.getResourceClaimTemplateName()).isEqualTo("gpudra-gpu-gpudra-dev-2");
            });
    assertThat(patched.getSpec().getNodeName()).as("node kept").isEqualTo("gpu-node-1");
    assertThat(patched.getMetadata().getAnnotations())
        .containsEntry(PreboundPodRewrite.ANNOTATION, "main=nvidia.com/gpu:2");
    assertThat(patched.getMetadata().getLabels()).containsKey("batch.amazonaws.com/job-id");
  }

  @Test
  void aPodWithoutANodeIsLeftToTheSchedulersExtendedResourceMapping() {
    assertThat(PreboundPodRewrite.of(batchPod(null, "2").build(), MAPPING)).isEmpty();
  }

  @Test
  void aPodAskingNoMappedResourceOrRewrittenAlreadyIsLeftAlone() {
    assertThat(PreboundPodRewrite.of(batchPod("n", "2").build(), Map.of())).isEmpty();
    Pod rewritten =
        batchPod("n", "2")
            .editMetadata()
            .addToAnnotations(PreboundPodRewrite.ANNOTATION, "main=nvidia.com/gpu:2")
            .endMetadata()
            .build();
    assertThat(PreboundPodRewrite.of(rewritten, MAPPING)).as("reinvocation").isEmpty();
  }

  @Test
  void eachContainerGetsItsOwnClaimAndExistingClaimsAndAnnotationsAreKept() {
    Pod pod =
        batchPod("n", "1")
            .editMetadata()
            .addToAnnotations("team", "ml")
            .endMetadata()
            .editSpec()
            .addNewResourceClaim()
            .withName("scratch")
            .withResourceClaimName("scratch-claim")
            .endResourceClaim()
            .addNewContainer()
            .withName("sidecar")
            .withNewResources()
            .addToLimits("nvidia.com/gpu", new Quantity("4"))
            .addNewClaim()
            .withName("scratch")
            .endClaim()
            .endResources()
            .endContainer()
            .addNewContainer()
            .withName("no-gpu")
            .endContainer()
            .endSpec()
            .build();

    PreboundPodRewrite rewrite = PreboundPodRewrite.of(pod, MAPPING).orElseThrow();
    Pod patched = apply(pod, rewrite);

    assertThat(patched.getSpec().getResourceClaims())
        .extracting(
            c ->
                c.getName()
                    + "="
                    + c.getResourceClaimName()
                    + "/"
                    + c.getResourceClaimTemplateName())
        .containsExactly(
            "scratch=scratch-claim/null",
            "gpudra-0=null/gpudra-gpu-gpudra-dev-1",
            "gpudra-1=null/gpudra-gpu-gpudra-dev-4");
    assertThat(patched.getSpec().getContainers().get(1).getResources().getClaims())
        .extracting(c -> c.getName())
        .containsExactly("scratch", "gpudra-1");
    assertThat(patched.getSpec().getContainers().get(2).getResources()).isNull();
    assertThat(patched.getMetadata().getAnnotations())
        .containsEntry("team", "ml")
        .containsEntry(
            PreboundPodRewrite.ANNOTATION, "main=nvidia.com/gpu:1,sidecar=nvidia.com/gpu:4");
    assertThat(rewrite.templates())
        .containsExactly(
            new ClaimTemplates.Shape("gpu.gpudra.dev", 1),
            new ClaimTemplates.Shape("gpu.gpudra.dev", 4));
  }
}
