package dev.gpudra.plugin.prepare;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.Optional;

/**
 * Where prepare reads a claim named by the kubelet. The API server ({@link ClaimFetcher}) in the
 * plugin; an in-memory map where a test drives prepare with claims no API server would store
 * (malformed allocations, huge batches) without sockets.
 */
public interface ClaimSource {

  /**
   * The claim {@code namespace/name}, empty when it does not exist.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server fails
   */
  Optional<ResourceClaim> fetch(String namespace, String name);
}
