package dev.gpudra.cdi;

import dev.gpudra.cdi.spec.CdiSpec;
import java.util.List;

/**
 * The CDI spec of one claim, ready to write, with the ids to return to the kubelet.
 *
 * @param claimUid the claim's UID
 * @param fileName the spec's file name inside the CDI directory
 * @param spec the spec
 * @param cdiIds one fully-qualified CDI id per prepared device, in input order
 */
public record ClaimSpec(String claimUid, String fileName, CdiSpec spec, List<String> cdiIds) {

  /** Checks that the file name and ids belong to the claim. */
  public ClaimSpec {
    if (!CdiNames.specFileName(claimUid).equals(fileName)) {
      throw new IllegalArgumentException(
          "file name " + fileName + " is not claim " + claimUid + "'s");
    }
    cdiIds = List.copyOf(cdiIds);
    if (cdiIds.size() != spec.devices().size()) {
      throw new IllegalArgumentException("one CDI id per device expected");
    }
  }
}
