package dev.gpudra.plugin.node;

import dev.gpudra.plugin.bench.LocalPrepareRig;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Claims allocated in the (mock) API server and kept as read back there, by {@code namespace/name},
 * in the map that in-JVM plugin instances ({@link LocalPrepareRig}) read: several instances of one
 * node see the same claims, as from one API server.
 */
final class ApiClaims {

  /** The claims as prepare reads them; shared by instances. */
  final Map<String, ResourceClaim> byKey = new ConcurrentHashMap<>();

  private final KubernetesClient client;
  private final Claims claims;

  ApiClaims(KubernetesClient client, String namespace) {
    this.client = client;
    this.claims = new Claims(client, namespace);
  }

  /** Claim {@code name}, allocated the whole GPU {@code gpu} of {@code node}. */
  PodClaim allocated(String name, String node, String gpu) {
    PodClaim claim =
        claims.allocated(name, List.of(Claims.result("gpu", node, gpu, true)), List.of());
    ResourceClaim read =
        client
            .resources(ResourceClaim.class)
            .inNamespace(claim.namespace())
            .withName(claim.name())
            .get();
    byKey.put(LocalPrepareRig.key(read), read);
    return claim;
  }
}
