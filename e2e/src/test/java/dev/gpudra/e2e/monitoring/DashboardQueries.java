package dev.gpudra.e2e.monitoring;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The PromQL of every panel target of the chart's Grafana dashboard, in panel order. */
public final class DashboardQueries {

  /**
   * The value Grafana's {@code $__rate_interval} takes here. Grafana substitutes it before the
   * query reaches Prometheus (at least four scrape intervals); Prometheus itself cannot parse it.
   */
  public static final String RATE_INTERVAL = "1m";

  /** Series only the kubelet plugins export (or their scrape job): no data until plugins run. */
  private static final Pattern PLUGIN_SERIES =
      Pattern.compile("gpudra_(un)?prepare|gpudra_prepared_|gpudra-kubelet-plugin");

  private DashboardQueries() {}

  /**
   * One query of the dashboard.
   *
   * @param panel the panel's title
   * @param refId the target's id within the panel (A, B, ...)
   * @param expr the PromQL as Prometheus receives it (Grafana variables substituted)
   */
  public record Query(String panel, String refId, String expr) {

    /** Whether the query reads kubelet-plugin series, as opposed to the controller's. */
    public boolean plugin() {
      return PLUGIN_SERIES.matcher(expr).find();
    }

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
