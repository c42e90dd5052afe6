package dev.gpudra.controller.view;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.controller.view.SlimPod.ClaimReference;
import dev.gpudra.core.claims.WorkloadKind;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlimPodTest {

  /** A pod as the API server returns it, with much the controller never reads. */
  static Pod bigPod(int containers, int envPerContainer, int annotations, int managedFields) {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace("ml")
            .withName("big-pod")
            .withUid("0c1d7a55-1b2c-4d3e-8f90-a1b2c3d4e5f6")
            .withResourceVersion("4711")
            .addToLabels(WorkloadKind.AWS_BATCH_JOB_LABEL, "job-42")
            .addToLabels("batch.amazonaws.com/compute-environment-uuid", "ce-7")
            .addToLabels("app", "trainer")
            .endMetadata();
    for (int i = 0; i < annotations; i++) {
      pod.editMetadata().addToAnnotations("example.com/note-" + i, "x".repeat(200)).endMetadata();
    }
    for (int i = 0; i < managedFields; i++) {
      pod.editMetadata()
          .addNewManagedField()
          .withManager("manager-" + i)
          .withOperation("Update")
          .withApiVersion("v1")
          .withTime("2026-11-27T12:00:00Z")
          .withFieldsType("FieldsV1")
          .withNewFieldsV1()
          .addToAdditionalProperties("f:metadata", Map.of("f:labels", Map.of("f:app", Map.of())))
          .endFieldsV1()
          .endManagedField()
          .endMetadata();
    }
    var spec =
        pod.withNewSpec()
            .withNodeName("node-a")
            .addNewResourceClaim()
            .withName("gpu")
            .withResourceClaimName("shared-gpu")
            .endResourceClaim()
            .addNewResourceClaim()
            .withName("scratch")
            .withResourceClaimTemplateName("one-gpu")
            .endResourceClaim()
            .addNewResourceClaim()
            .withName("later")
            .withResourceClaimTemplateName("one-gpu")
            .endResourceClaim();
    for (int c = 0; c < containers; c++) {
      var container = spec.addNewContainer().withName("c" + c).withImage("registry/img:" + c);
      for (int e = 0; e < envPerContainer; e++) {
        container.addNewEnv().withName("VAR_" + e).withValue("value-" + c + "-" + e).endEnv();
      }
      container.endContainer();
    }
    return spec.endSpec()
        .withNewStatus()
        .withPhase("Running")
        .addNewResourceClaimStatus()
        .withName("scratch")
        .withResourceClaimName("big-pod-scratch-x7k2p")
        .endResourceClaimStatus()
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus()
        .build();
  }

  @Test
  void keepsIdentityNodePhaseWorkloadLabelsAndClaimReferencesOnly() {
    SlimPod slim = SlimPod.of(bigPod(3, 5, 4, 2));

    assertThat(slim)
        .isEqualTo(
            new SlimPod(
                "ml",
                "big-pod",
                "0c1d7a55-1b2c-4d3e-8f90-a1b2c3d4e5f6",
                "4711",
                "node-a",
                "Running",
                Map.of(WorkloadKind.AWS_BATCH_JOB_LABEL, "job-42"),
                List.of(
                    new ClaimReference("gpu", "shared-gpu", null),
                    new ClaimReference("scratch", "big-pod-scratch-x7k2p", "one-gpu"),
                    new ClaimReference("later", null, "one-gpu"))));
    assertThat(slim.uses("shared-gpu")).isTrue();
    assertThat(slim.uses("big-pod-scratch-x7k2p")).isTrue();
    assertThat(slim.uses("one-gpu")).as("a template is not a claim").isFalse();
  }

  @Test
  void theWorkloadKindOfTheKeptLabelsIsThatOfAllLabels() {
    Pod pod = bigPod(1, 1, 1, 1);

    assertThat(WorkloadKind.of(SlimPod.of(pod).labels()))
        .isEqualTo(WorkloadKind.of(pod.getMetadata().getLabels()))
        .isEqualTo(WorkloadKind.AWS_BATCH);
  }

  @Test
  void thePodRebuiltFromTheRecordHoldsNothingElseAndSlimsToTheSameRecord() {
    SlimPod slim = SlimPod.of(bigPod(3, 5, 4, 2));

    Pod rebuilt = slim.toPod();

    assertThat(rebuilt.getSpec().getContainers()).isEmpty();
    assertThat(rebuilt.getMetadata().getAnnotations()).isEmpty();
    assertThat(rebuilt.getMetadata().getManagedFields()).isEmpty();
    assertThat(rebuilt.getMetadata().getLabels())
        .containsOnlyKeys(WorkloadKind.AWS_BATCH_JOB_LABEL);
    assertThat(rebuilt.getMetadata().getResourceVersion()).isEqualTo("4711");
    assertThat(SlimPod.of(rebuilt)).isEqualTo(slim);
  }

  @Test
  void aPodWithoutSpecStatusOrLabelsIsKeptWithNone() {
    Pod bare =
        new PodBuilder().withNewMetadata().withNamespace("a").withName("b").endMetadata().build();

    SlimPod slim = SlimPod.of(bare);

    assertThat(slim.nodeName()).isNull();
    assertThat(slim.phase()).isNull();
    assertThat(slim.labels()).isEmpty();
    assertThat(slim.claims()).isEmpty();
    assertThat(SlimPod.of(slim.toPod())).isEqualTo(slim);
  }
}
