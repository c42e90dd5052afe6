package dev.gpudra.plugin.prepare;

import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.state.ClaimRebuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds entries for surviving CDI specs from the ResourceClaims in the API server: a claim that
 * still exists, is allocated to this node and is reserved for a pod is re-planned (the same pure
 * planning prepare uses, so the entry matches what prepare would have written) and recorded as
 * completed. Anything else is left out and its spec removed: the kubelet re-prepares pods it
 * starts, and a running container keeps the devices it was given.
 */
public final class ApiServerClaimRebuilder implements ClaimRebuilder {

  private static final Logger LOG = LoggerFactory.getLogger(ApiServerClaimRebuilder.class);

  private final ClaimFetcher fetcher;
  private final PreparePlanner planner;

  /**
   * @param fetcher lists claims
   * @param planner plans them as prepare would
   */
  public ApiServerClaimRebuilder(ClaimFetcher fetcher, PreparePlanner planner) {
    this.fetcher = fetcher;
    this.planner = planner;
  }

  @Override
  public Map<String, PreparedClaim> rebuild(Set<String> claimUids) {
    Map<String, PreparedClaim> rebuilt = new LinkedHashMap<>();
    if (claimUids.isEmpty()) {
      return rebuilt;
    }
    try {
      for (ResourceClaim claim : fetcher.listAll()) {
        String uid = claim.getMetadata().getUid();
        boolean reserved =
            claim.getStatus() != null
                && claim.getStatus().getReservedFor() != null
                && !claim.getStatus().getReservedFor().isEmpty();
        if (!claimUids.contains(uid) || !reserved) {
          continue;
        }
        ClaimRef ref =
            new ClaimRef(claim.getMetadata().getNamespace(), uid, claim.getMetadata().getName());
        try {
          rebuilt.put(uid, planner.plan(ref, claim).entry(ClaimState.PREPARE_COMPLETED));
        } catch (PrepareRefusedException e) {
          LOG.info("not rebuilding {}: {}", ref, e.getMessage());
        }
      }
    } catch (KubernetesClientException e) {
      LOG.warn("cannot list ResourceClaims to rebuild the checkpoint: {}", e.getMessage());
    }
    return rebuilt;
  }
}
