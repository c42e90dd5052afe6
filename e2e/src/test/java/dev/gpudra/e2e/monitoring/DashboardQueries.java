package dev.gpudra.e2e.monitoring;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The PromQL of every panel target of the chart's Grafana dashboard, in panel order. */
public final class DashboardQueries {

  /**
   * The value Grafana's {@code $__rate_interval} takes here. Grafana substitutes it before the
   * query reaches Prometheus (at least four scrape intervals); Prometheus itself cannot parse it.
   */
  public static final String RATE_INTERVAL = "1m";

  private DashboardQueries() {}

  /**
   * One query of the dashboard.
   *
   * @param panel the panel's title
   * @param refId the target's id within the panel (A, B, ...)
   * @param expr the PromQL as Prometheus receives it (Grafana variables substituted)
   */
  public record Query(String panel, String refId, String expr) {

    @Override
    public String toString() {
      return "panel \"" + panel + "\" " + refId + ": " + expr;
    }
  }

  /** Every target of every panel of the dashboard file (rows hold no targets). */
  public static List<Query> of(Path dashboard) {
    JsonNode root = JsonMapper.builder().build().readTree(dashboard.toFile());
    List<Query> queries = new ArrayList<>();
    for (JsonNode panel : root.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        queries.add(
            new Query(
                panel.path("title").asString(),
                target.path("refId").asString(),
                target.path("expr").asString().replace("$__rate_interval", RATE_INTERVAL)));
      }
    }
    return List.copyOf(queries);
  }
}
