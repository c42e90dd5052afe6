package dev.gpudra.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import org.junit.jupiter.api.Test;

class KubernetesKindsTest {

  private final KubernetesSerialization serialization =
      KubernetesKinds.serialization(List.of(ResourceSlice.class));

  @Test
  void aWatchEventOfANamedKindIsReadAsThatKind() {
    WatchEvent event =
        serialization.unmarshal(
            """
            {"type": "ADDED", "object": {"apiVersion": "resource.k8s.io/v1",
             "kind": "ResourceSlice", "metadata": {"name": "node-a-gpu"},
             "spec": {"driver": "gpu.gpudra.dev", "nodeName": "node-a"}}}
            """,
            WatchEvent.class);

    assertThat(event.getObject()).isInstanceOf(ResourceSlice.class);
    assertThat(((ResourceSlice) event.getObject()).getSpec().getNodeName()).isEqualTo("node-a");
  }

  @Test
  void aWatchErrorIsAStatusSoThatTheClientRelistsAfterGone() {
    WatchEvent event =
        serialization.unmarshal(
            """
            {"type": "ERROR", "object": {"apiVersion": "v1", "kind": "Status",
             "status": "Failure", "reason": "Expired", "code": 410,
             "message": "too old resource version: 1 (42)"}}
            """,
            WatchEvent.class);

    assertThat(event.getObject()).isInstanceOf(Status.class);
    assertThat(((Status) event.getObject()).getCode()).isEqualTo(410);
  }

  @Test
  void kindsNotNamedAreNotLookedUpOnTheClassPath() {
    // The default client would find these in the model jars on this class path.
    assertThat(serialization.getRegisteredKubernetesResource("v1", "Pod")).isNull();
    assertThat(
            serialization.getRegisteredKubernetesResource(
                "gateway.networking.k8s.io/v1", "HTTPRoute"))
        .isNull();
    assertThat(new KubernetesSerialization().getRegisteredKubernetesResource("v1", "Pod"))
        .isEqualTo(Pod.class);

    WatchEvent event =
        serialization.unmarshal(
            """
            {"type": "ADDED", "object": {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "p", "namespace": "default"}}}
            """,
            WatchEvent.class);
    assertThat(event.getObject()).isInstanceOf(GenericKubernetesResource.class);
  }
}
