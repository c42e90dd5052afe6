package dev.gpudra.plugin.state;

import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.Map;
import java.util.Set;

/**
 * Rebuilds checkpoint entries of claims whose CDI specs survived a lost checkpoint, from the API
 * server. A claim that cannot be confirmed (gone, no longer allocated here, API server unreachable)
 * is left out, and its spec is removed.
 */
@FunctionalInterface
public interface ClaimRebuilder {

  /** Rebuilds nothing: every surviving spec is removed. */
  ClaimRebuilder NONE = uids -> Map.of();

  /**
   * Entries for those of {@code claimUids} the API server confirms, keyed by UID, in state {@code
   * PREPARE_COMPLETED}.
   */
  Map<String, PreparedClaim> rebuild(Set<String> claimUids);
}
