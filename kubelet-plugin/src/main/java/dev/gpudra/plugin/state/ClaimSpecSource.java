package dev.gpudra.plugin.state;

import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.Optional;

/**
 * Builds again the CDI spec a completed claim was prepared with, for start-up recovery to write
 * when the spec file is gone (deleted behind the plugin's back). A real kubelet repeats no prepare
 * of a claim it holds prepared, not even after its own restart, so without this the claim's new
 * containers would fail in the runtime until its pods are deleted.
 */
@FunctionalInterface
public interface ClaimSpecSource {

  /** Builds nothing: a completed claim without its spec is prepared again on the next call. */
  ClaimSpecSource NONE = claim -> Optional.empty();

  /**
   * The spec of {@code claim} with the same content as at prepare, or empty when it cannot be built
   * exactly (the claim is gone or changed, the API server unreachable, devices the plugin created
   * and a new plan cannot name); the reason is logged.
   */
  Optional<ClaimSpec> specOf(PreparedClaim claim);
}
