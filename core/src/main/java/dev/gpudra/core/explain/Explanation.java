package dev.gpudra.core.explain;

import java.util.List;
import java.util.Objects;

/**
 * Why a claim is pending, for people: one headline, then the concrete causes (most useful first),
 * then one line per group of nodes that fail for the same reasons as the allocator reports them.
 *
 * @param namespace the claim's namespace
 * @param claim the claim's name
 * @param headline one sentence: fits nowhere, fits on some nodes, or cannot be allocated anywhere
 * @param details the causes' texts, then node groups and their allocator reasons, most nodes first
 * @param causes the concrete causes found, most useful first; empty when the claim fits
 * @param fitNodes nodes where the claim fits now, in node order; empty when it fits nowhere
 * @param fitDevices the devices the allocator would pick on the first of {@code fitNodes}
 */
public record Explanation(
    String namespace,
    String claim,
    String headline,
    List<String> details,
    List<Cause> causes,
    List<String> fitNodes,
    List<String> fitDevices) {

  /** Validates and freezes. */
  public Explanation {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(headline, "headline");
    details = List.copyOf(details);
    causes = List.copyOf(causes);
    fitNodes = List.copyOf(fitNodes);
    fitDevices = List.copyOf(fitDevices);
  }

  /** An explanation with no causes and no fit (an allocated claim, a plain message). */
  public Explanation(String namespace, String claim, String headline, List<String> details) {
    this(namespace, claim, headline, details, List.of(), List.of(), List.of());
  }

  /** Whether the claim fits on some node now. */
  public boolean fits() {
    return !fitNodes.isEmpty();
  }

  /** Where it fits: the first node and the devices there, e.g. {@code gpu-h100-8x gpu-0..7}. */
  public String fitText() {
    return fits() ? (fitNodes.get(0) + " " + Names.devices(fitDevices)).strip() : "";
  }

  /** The explanation as text: the headline, then one indented line per detail. */
  public String text() {
    StringBuilder text = new StringBuilder(headline);
    for (String detail : details) {
      text.append(System.lineSeparator()).append("  ").append(detail);
    }
    return text.toString();
  }

  /**
   * A single line for Events, at most {@code max} characters: the most useful cause comes right
   * after the headline, so a cut never loses it.
   */
  public String summary(int max) {
    String full = summary();
    return full.length() <= max ? full : full.substring(0, Math.max(0, max - 3)) + "...";
  }

  /** A single line, for Events (whose messages are short). */
  public String summary() {
    return details.isEmpty() ? headline : headline + " " + String.join("; ", details);
  }
}
