package dev.gpudra.plugin.prepare;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads ResourceClaims ({@code resource.k8s.io/v1}). The daemon reads them from the API server
 * ({@link #of}); an interface so that the prepare benchmark can measure prepare without the API
 * server's share.
 */
public interface ClaimFetcher extends ClaimSource {

  /** Reads claims from the API server through {@code client}. */
  static ClaimFetcher of(KubernetesClient client) {
    Objects.requireNonNull(client, "client");
    return new ClaimFetcher() {
      @Override
      public Optional<ResourceClaim> fetch(String namespace, String name) {
        return Optional.ofNullable(
            client.resources(ResourceClaim.class).inNamespace(namespace).withName(name).get());
      }

      @Override
      public List<ResourceClaim> listAll() {
        return client.resources(ResourceClaim.class).inAnyNamespace().list().getItems();
      }
    };
  }

  /**
   * Every claim in the cluster; used once at start-up to rebuild a lost checkpoint.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server fails
   */
  List<ResourceClaim> listAll();
}
