package dev.gpudra.plugin.dra;

import dev.gpudra.plugin.prepare.ClaimPreparer;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.ClaimUnpreparer;
import dev.gpudra.plugin.prepare.PrepareResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The kubelet's DRA service, once for every API version the plugin serves; {@link DraV1Service} and
 * {@link DraV1beta1Service} only translate their messages to and from it.
 *
 * <p>Every claim of a request gets an entry in the answer, keyed by its UID; one claim's failure is
 * its own error string and never fails the call, which the kubelet would take as a failure of every
 * claim in it. Thread-safe as far as the preparer and unpreparer are.
 */
public final class DraService {

  private final ClaimPreparer preparer;
  private final ClaimUnpreparer unpreparer;

  /**
   * @param preparer prepares claims
   * @param unpreparer unprepares claims
   */
  public DraService(ClaimPreparer preparer, ClaimUnpreparer unpreparer) {
    this.preparer = Objects.requireNonNull(preparer, "preparer");
    this.unpreparer = Objects.requireNonNull(unpreparer, "unpreparer");
  }

  /** Prepares each claim in request order; the result of each, keyed by claim UID. */
  public Map<String, PrepareResult> prepare(List<ClaimRef> claims) {
    Map<String, PrepareResult> results = new LinkedHashMap<>();
    for (ClaimRef claim : claims) {
      results.put(claim.uid(), preparer.prepare(claim));
    }
    return results;
  }

  /** Unprepares each claim in request order; the error of each, if any, keyed by claim UID. */
  public Map<String, Optional<String>> unprepare(List<ClaimRef> claims) {
    Map<String, Optional<String>> results = new LinkedHashMap<>();
    for (ClaimRef claim : claims) {
      results.put(claim.uid(), unpreparer.unprepare(claim));
    }
    return results;
  }
}
