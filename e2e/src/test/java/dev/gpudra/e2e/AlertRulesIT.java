package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.e2e.chart.Helm;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.monitoring.PrometheusServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chart's alert rules under {@code promtool test rules}: every alert fires on series that show
 * its condition, with the labels and annotations receivers get, and stays quiet on healthy series
 * ({@code charts/gpudra/rules/gpudra-alerts_test.yaml}). A rule file with a changed threshold,
 * window, {@code for} duration, selector or severity fails those tests, so they pin the rules down.
 * No control plane: promtool evaluates the rules on the series the test file gives.
 */
class AlertRulesIT {

  private static final Path RULES_DIR =
      Path.of(System.getProperty(Helm.CHART_PROPERTY, "../charts/gpudra")).resolve("rules");
  private static final Path RULES = RULES_DIR.resolve("gpudra-alerts.yaml");
  private static final Path TESTS = RULES_DIR.resolve("gpudra-alerts_test.yaml");
  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  @BeforeAll
  static void promtoolInstalled() {
    PrometheusServer.requireInstalled();
  }

  @Test
  void everyAlertFiresOnItsConditionAndStaysQuietOnHealthySeries() {
    Command test = promtoolTest(TESTS);

    assertThat(test.exitCode()).as(test.stdout() + test.stderr()).isZero();
    assertThat(test.stdout()).contains("SUCCESS");
    System.out.println("[e2e] promtool test rules: " + test.stdout().strip().replace('\n', ' '));
  }

  /**
   * The test file covers each alert of the rule file both ways: at least one evaluation expects it
   * firing and at least one expects no alert.
   */
  @Test
  void everyAlertIsTestedFiringAndQuiet() throws IOException {
    Set<String> alerts = alertNames();
    Set<String> firing = new HashSet<>();
    Set<String> quiet = new HashSet<>();
    for (Map<String, Object> test : list(yaml(TESTS).get("tests"))) {
      for (Map<String, Object> evaluation : list(test.get("alert_rule_test"))) {
        String alert = (String) evaluation.get("alertname");
        (list(evaluation.get("exp_alerts")).isEmpty() ? quiet : firing).add(alert);
      }
    }

    assertThat(alerts).hasSize(6);
    assertThat(firing).as("alerts tested firing").containsExactlyInAnyOrderElementsOf(alerts);
    assertThat(quiet).as("alerts tested quiet").containsExactlyInAnyOrderElementsOf(alerts);
  }

  /**
   * A rule changed in one place fails the unit tests: each change is one a careless edit could
   * make, applied to a copy of the rule file next to a copy of the tests.
   */
  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "GpudraClaimPendingTooLong     | > 600                          | > 590",
        "GpudraClaimPendingTooLong     | > 600                          | > 660",
        "GpudraPrepareErrors           | result=\"error\"}[10m]         | result=\"error\"}[20m]",
        "GpudraPrepareErrors           | result=\"error\"}              | result=~\".+\"}",
        "GpudraPrepareErrors           | [10m])) > 0                    | [10m])) >= 0",
        "GpudraKubeletPluginDown       | for: 5m                        | for: 4m",
        "GpudraKubeletPluginDown       | for: 5m                        | for: 6m",
        "GpudraKubeletPluginDown       | up{job=\"gpudra-kubelet-plugin\"} | up{job=~\"gpudra-.+\"}",
        "GpudraKubeletPluginDown       | severity: critical             | severity: warning",
        "GpudraControllerViewNotSynced | for: 10m                       | for: 9m",
        "GpudraControllerViewNotSynced | view_synced == 0               | view_synced == 1",
        "GpudraFatalXid                | [10m]) > 0                     | [10m]) > 1",
        "GpudraFatalXid                | } offset 10m                   | } offset 30m",
        "GpudraFatalXid                | increase(gpudra_xid_errors_total{class=~\"fatal | increase(gpudra_xid_errors_total{class=~\".*",
        "GpudraFatalXid                | severity: critical             | severity: warning",
        "GpudraBatchPodsWaiting        | {age=\"over_5m\"}) > 0        | {age=\"over_5m\"}) >= 0",
        "GpudraBatchPodsWaiting        | {age=\"over_5m\"}             | {age=~\".+\"}",
        "GpudraBatchPodsWaiting        | sum by (reason)                | sum by (instance)",
        "GpudraBatchPodsWaiting        | severity: warning              | severity: critical",
      })
  void aChangedRuleFailsTheTests(String alert, String from, String to, @TempDir Path dir)
      throws IOException {
    String rules = Files.readString(RULES);
    assertThat(alertNames()).contains(alert);
    // Only the named alert's rule changes: several rules share parts (a severity, a window).
    int start = rules.indexOf("- alert: " + alert + "\n");
    int next = rules.indexOf("- alert: ", start + 1);
    int end = next < 0 ? rules.length() : next;
    String rule = rules.substring(start, end);
    assertThat(occurrences(rule, from)).as("occurrences of '%s' in rule %s", from, alert).isOne();
    Files.writeString(
        dir.resolve(RULES.getFileName()),
        rules.substring(0, start) + rule.replace(from, to) + rules.substring(end));
    Path tests = Files.copy(TESTS, dir.resolve(TESTS.getFileName()));

    Command test = promtoolTest(tests);

    assertThat(test.exitCode()).as(test.stdout() + test.stderr()).isNotZero();
    assertThat(test.stdout() + test.stderr()).contains("FAILED").contains(alert);
    System.out.printf("[e2e] rule changed %s -> %s: promtool test rules FAILED%n", from, to);
  }

  private static Command promtoolTest(Path tests) {
    return Command.run(
        TIMEOUT,
        Map.of(),
        List.of(PrometheusServer.PROMTOOL.toString(), "test", "rules", tests.toString()));
  }

  private static Set<String> alertNames() throws IOException {
    Set<String> names = new HashSet<>();
    for (Map<String, Object> group : list(yaml(RULES).get("groups"))) {
      for (Map<String, Object> rule : list(group.get("rules"))) {
        names.add((String) rule.get("alert"));
      }
    }
    return names;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> yaml(Path file) throws IOException {
    return new KubernetesSerialization().unmarshal(Files.readString(file), Map.class);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object value) {
    return value == null ? List.of() : new ArrayList<>((List<Map<String, Object>>) value);
  }

  private static int occurrences(String text, String part) {
    int count = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      count++;
    }
    return count;
  }
}
