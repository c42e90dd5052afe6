package dev.gpudra.e2e.cluster;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;

/** Namespaces of the e2e cluster, ready for pods. */
public final class Namespaces {

  private Namespaces() {}

  /**
   * Creates {@code name} and waits for its {@code default} ServiceAccount, which the controller
   * manager creates shortly after; until then the API server rejects pods in it.
   */
  public static String create(KubernetesClient client, String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    awaitReady(client, name);
    return name;
  }

  /**
   * Waits for the {@code default} ServiceAccount of namespace {@code name}; until the controller
   * manager has created it the API server rejects pods in the namespace.
   */
  public static void awaitReady(KubernetesClient client, String name) {
    Poll.until(
        "default ServiceAccount in " + name,
        Duration.ofMinutes(2),
        Duration.ofMillis(250),
        () -> client.serviceAccounts().inNamespace(name).withName("default").get(),
        account -> account != null);
  }

  /**
   * Deletes namespace {@code name} and waits until it is gone, its pods and claims with it (the
   * next scenario may create one of the same name).
   */
  public static void deleteAndAwaitGone(KubernetesClient client, String name, Duration timeout) {
    client.namespaces().withName(name).delete();
    Poll.until(
        "namespace " + name + " gone",
        timeout,
        Duration.ofMillis(500),
        () -> client.namespaces().withName(name).get(),
        n -> n == null);
  }
}
