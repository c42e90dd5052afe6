package dev.gpudra.plugin.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The daemon pods' names and labels stay valid for any node name and GPU UUID. */
class MpsDaemonPodsTest {

  private static final String GPU = "GPU-3f1c9a52-7b0e-4d6a-9c18-5e2a7d40b611";

  private static MpsDaemonPods on(String node) {
    return new MpsDaemonPods(
        "gpudra-system",
        node,
        "img",
        Path.of("/driver-root"),
        "/",
        Map.of(),
        List.of(),
        Optional.empty());
  }

  @Test
  void thePodsTakeThePriorityClassTheyAreGivenAndOtherwiseNone() {
    MpsDaemonPods critical =
        new MpsDaemonPods(
            "gpudra-system",
            "node-a",
            "img",
            Path.of("/driver-root"),
            "/",
            Map.of(),
            List.of(),
            Optional.of("system-node-critical"));

    assertThat(pod(critical).getSpec().getPriorityClassName()).isEqualTo("system-node-critical");
    assertThat(pod(on("node-a")).getSpec().getPriorityClassName()).isNull();
  }

  private static Pod pod(MpsDaemonPods pods) {
    return pods.pod(
        GPU,
        Path.of("/driver-root/usr/bin/nvidia-cuda-mps-control"),
        Map.of(),
        "",
        Path.of("/mps/" + GPU),
        Path.of("/mps/" + GPU + "/shm"));
  }

  @Test
  void aLongNodeNameGivesAValidPodNameAndLabelValue() {
    String node = "ip-10-0-0-1." + "x".repeat(230) + ".internal";
    Pod pod = pod(on(node));

    String name = pod.getMetadata().getName();
    assertThat(name).hasSizeLessThanOrEqualTo(253).matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?");
    for (String value : pod.getMetadata().getLabels().values()) {
      assertThat(value)
          .hasSizeLessThanOrEqualTo(63)
          .matches("([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?");
    }
    assertThat(pod.getMetadata().getAnnotations()).containsEntry(MpsDaemonPods.GPU_ANNOTATION, GPU);
    assertThat(on(node).serves(pod, GPU)).isTrue();
    assertThat(on("other-node").serves(pod, GPU)).isFalse();
    assertThat(on(node).gpuOf(pod)).isEqualTo(GPU);
  }

  @Test
  void theNameIsFixedPerNodeAndGpu() {
    assertThat(on("node-a").name(GPU))
        .isEqualTo("gpudra-mps-node-a-" + GPU.toLowerCase(java.util.Locale.ROOT));
    assertThat(on("node-a").name(GPU)).isNotEqualTo(on("node-b").name(GPU));
  }
}
