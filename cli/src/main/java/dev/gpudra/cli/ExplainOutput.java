package dev.gpudra.cli;

import dev.gpudra.core.explain.Cause;
import dev.gpudra.core.explain.Explanation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code gpudra explain} prints explanations: text for people, or {@code -o json} for tools
 * (one object per claim: namespace, claim, fits, fitNodes, fitDevices, headline, causes with
 * request/kind/text, details).
 */
final class ExplainOutput {
  private ExplainOutput() {}

  /** The explanation as text; {@code beforeApply} words a fit as what would happen. */
  static String text(Explanation e, boolean beforeApply) {
    if (beforeApply && e.fits()) {
      return "claim "
          + e.namespace()
          + "/"
          + e.claim()
          + " would fit on "
          + e.fitText()
          + (e.fitNodes().size() > 1 ? " (and " + (e.fitNodes().size() - 1) + " more nodes)" : "");
    }
    return e.text();
  }

  /** The explanations as a JSON-ready value. */
  static List<Map<String, Object>> json(List<Explanation> explanations) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Explanation e : explanations) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("namespace", e.namespace());
      m.put("claim", e.claim());
      m.put("fits", e.fits());
      m.put("fitNodes", e.fitNodes());
      m.put("fitDevices", e.fitDevices());
      m.put("headline", e.headline());
      List<Map<String, String>> causes = new ArrayList<>();
      for (Cause c : e.causes()) {
        Map<String, String> cm = new LinkedHashMap<>();
        cm.put("request", c.request());
        cm.put("kind", c.kind().name());
        cm.put("text", c.text());
        causes.add(cm);
      }
      m.put("causes", causes);
      m.put("details", e.details());
      out.add(m);
    }
    return out;
  }
}
