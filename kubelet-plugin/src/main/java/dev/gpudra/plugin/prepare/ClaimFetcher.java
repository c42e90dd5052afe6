package dev.gpudra.plugin.prepare;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Reads ResourceClaims ({@code resource.k8s.io/v1}) from the API server. */
public final class ClaimFetcher implements ClaimSource {

  private final KubernetesClient client;

  /**
   * @param client the API server client
   */
  public ClaimFetcher(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * The claim {@code namespace/name}, empty when it does not exist.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server fails
   */
  @Override
  public Optional<ResourceClaim> fetch(String namespace, String name) {
    return Optional.ofNullable(
        client.resources(ResourceClaim.class).inNamespace(namespace).withName(name).get());
  }

  /**
   * Every claim in the cluster; used once at start-up to rebuild a lost checkpoint.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server fails
   */
  public List<ResourceClaim> listAll() {
    return client.resources(ResourceClaim.class).inAnyNamespace().list().getItems();
  }
}
