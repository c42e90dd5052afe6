package dev.gpudra.runtime;

import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.model.jackson.Jackson2JdkTypesModule;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;

/**
 * The kinds a daemon's Kubernetes client maps by name, limited to those the daemon reads.
 *
 * <p>Where a document's type is not known in advance (the object of a watch event), the client
 * looks its {@code apiVersion} and {@code kind} up in a table. By default it fills that table at
 * the first such document with every kind of every model jar on the class path, found through a
 * service loader: about 360 classes of API groups a GPU driver never reads (Gateway API, admission,
 * flow control, autoscaling...) loaded, linked and instantiated, and then resident for the life of
 * the JVM (about 3 MiB in the kubelet plugin; e2e/README.md, footprint). {@link #mapOnly} fills the
 * table with the named kinds and {@link Status}, which the client needs to recognise a watch's
 * error event (its re-list after "410 Gone" depends on it). Typed calls (get, list, create, patch
 * on a known class) never use the table. A watch event of a kind not named arrives all the same:
 * the client converts it to the watched type.
 */
public final class KubernetesKinds {

  private KubernetesKinds() {}

  /** The serialization of {@link #mapOnly}, on its own (for tests and other builders). */
  public static KubernetesSerialization serialization(
      List<Class<? extends KubernetesResource>> kinds) {
    // The mapper the client builds by default, without the class path scan (false).
    KubernetesSerialization serialization =
        new KubernetesSerialization(
            JsonMapper.builderWithJackson2Defaults()
                .addModule(new Jackson2JdkTypesModule())
                .build(),
            false);
    serialization.registerKubernetesResource(Status.class);
    kinds.forEach(serialization::registerKubernetesResource);
    return serialization;
  }

  /** Makes clients built by {@code builder} map only {@code kinds} (and {@link Status}) by name. */
  public static KubernetesClientBuilder mapOnly(
      KubernetesClientBuilder builder, List<Class<? extends KubernetesResource>> kinds) {
    return builder.withKubernetesSerialization(serialization(kinds));
  }
}
