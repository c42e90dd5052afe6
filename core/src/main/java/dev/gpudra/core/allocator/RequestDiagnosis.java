package dev.gpudra.core.allocator;

import java.util.List;
import java.util.Objects;

/**
 * Why one request (or sub-request) of a claim could not be satisfied.
 *
 * @param claim the claim as {@code namespace/name}
 * @param request the request name, {@code <request>/<sub-request>} for a sub-request, or empty for
 *     reasons that concern the node as a whole
 * @param reasons what stood in the way, most specific first
 */
public record RequestDiagnosis(String claim, String request, List<UnsatisfiableReason> reasons) {
  /** Validates and freezes. */
  public RequestDiagnosis {
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(request, "request");
    reasons = List.copyOf(reasons);
  }
}
