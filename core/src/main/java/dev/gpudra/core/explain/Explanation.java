package dev.gpudra.core.explain;

import java.util.List;
import java.util.Objects;

/**
 * Why a claim is pending, for people: one headline and one line per group of nodes that fail for
 * the same reasons.
 *
 * @param namespace the claim's namespace
 * @param claim the claim's name
 * @param headline one sentence: fits nowhere, fits on some nodes, or cannot be allocated anywhere
 * @param details node groups and their reasons, most nodes first
 */
public record Explanation(String namespace, String claim, String headline, List<String> details) {
  public Explanation {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(headline, "headline");
    details = List.copyOf(details);
  }

  /** The explanation as text: the headline, then one indented line per detail. */
  public String text() {
    StringBuilder text = new StringBuilder(headline);
    for (String detail : details) {
      text.append(System.lineSeparator()).append("  ").append(detail);
    }
    return text.toString();
  }

  /** A single line, for Events (whose messages are short). */
  public String summary() {
    return details.isEmpty() ? headline : headline + " " + String.join("; ", details);
  }
}
