package dev.gpudra.e2e;

import static dev.gpudra.e2e.monitoring.InstantResults.labelOf;
import static dev.gpudra.e2e.monitoring.InstantResults.sampleValue;
import static dev.gpudra.e2e.monitoring.InstantResults.samples;
import static dev.gpudra.e2e.monitoring.InstantResults.samplesWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.chart.Helm;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.monitoring.DashboardQueries;
import dev.gpudra.e2e.monitoring.DashboardQueries.Query;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.monitoring.InstantResults;
import dev.gpudra.e2e.monitoring.PodMonitorScrape;
import dev.gpudra.e2e.monitoring.PrometheusServer;
import dev.gpudra.e2e.monitoring.PrometheusServer.ScrapeTarget;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.TestClaims;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.testkit.nvml.MockNvmlFaults;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chart's Grafana dashboard and alert rules on a real Prometheus (Debian's package): the rule
 * file passes {@code promtool}, the chart ships both unchanged, every expression parses, and every
 * panel query and alert expression returns data from the real components, scraped with the labels
 * the chart's PodMonitors give them: the driver controller and the kubelet plugins of two fake GPU
 * nodes, one serving pods whose claims are prepared (one of them failing) and unprepared and with a
 * fatal XID raised on one of its GPUs in the mock NVML, the other with its plugin killed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardAndAlertsIT {

  private static final String NAMESPACE = "monitoring";

  /** The namespace the chart's pods would run in: the scrape targets' {@code namespace} label. */
  private static final String RELEASE_NAMESPACE = "gpudra-system";

  private static final String GPU_NODE = "monitoring-h100-8x";
  private static final String DOWN_NODE = "monitoring-l4-1x";
  private static final Path CHART = Path.of(System.getProperty(Helm.CHART_PROPERTY));
  private static final Path DASHBOARD = CHART.resolve("dashboards/gpudra.json");
  private static final Path RULES = CHART.resolve("rules/gpudra-alerts.yaml");
  private static final String[] MONITORING_VALUES = {
    "monitoring.dashboard.enabled=true",
    "monitoring.podMonitor.enabled=true",
    "monitoring.prometheusRule.enabled=true"
  };

  /** Alerts whose condition this test brings about: a failed prepare, a killed plugin, an XID. */
  private static final Set<String> STAGED_ALERTS =
      Set.of("GpudraPrepareErrors", "GpudraKubeletPluginDown", "GpudraFatalXid");

  /** The H100 GPU (NVML index, whole: not in MIG mode) that throws {@link #FATAL_XID}. */
  private static final int FAILING_GPU = 2;

  private static final String FAILING_DEVICE = "gpu-" + FAILING_GPU;

  /** A graphics engine exception that needs a reset: the alert's "fatal" class. */
  private static final int FATAL_XID = 79;

  /** An alert expression: the series it watches, compared with a threshold. */
  private static final Pattern THRESHOLD =
      Pattern.compile("(?s)(.+?)\\s*(==|!=|>=|<=|>|<)\\s*(-?[0-9.]+)\\s*");

  private static final Duration DATA_TIMEOUT = Duration.ofMinutes(2);

  /** The plugin setting that lets the H100 node set time slices for the sharing panels. */
  private static final String SHARING_STRATEGIES = "GPUDRA_SHARING_STRATEGIES";

  /** nvidia-smi's number for the Long time slice, as the time-slice panel shows it. */
  private static final int LONG_TIME_SLICE = 3;

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.inNamespace(NAMESPACE)
          .withNode(GPU_NODE, "h100-8x", Map.of(SHARING_STRATEGIES, "Exclusive,TimeSlicing"))
          .withNode(DOWN_NODE, "l4-1x");

  private ControlPlane plane;
  private KubernetesClient client;
  private FakeGpuNode gpuNode;
  private FakeGpuNode downNode;
  private DriverControllerProcess controller;
  private PrometheusServer prometheus;
  private int shortLivedPods;

  /**
   * The state the panels show: the chart's DeviceClasses; an 8x H100 node and a 1x L4 node, each
   * with its plugin publishing slices (the scenario's); the driver controller; a claim the
   * scheduler allocates and the H100 node prepares for a Running pod, one no device satisfies, and
   * one whose MPS sharing the plugin refuses, so every prepare of it fails, and one whose GPU the
   * H100 node time-slices (Long) for a Running pod; a fatal XID on one of the H100 GPUs; then the
   * L4 node's plugin is killed.
   */
  @BeforeAll
  void componentsScrapedByPrometheusWithAClusterToShow() throws IOException {
    long start = System.nanoTime();
    PrometheusServer.requireInstalled();
    plane = scenario.plane();
    client = scenario.client();
    gpuNode = scenario.node(GPU_NODE);
    downNode = scenario.node(DOWN_NODE);
    controller = scenario.closeAfterAll(DriverControllerProcess.start(plane, NAMESPACE));

    List<HasMetadata> monitors = ChartManifests.render(plane, RELEASE_NAMESPACE, MONITORING_VALUES);
    List<ScrapeTarget> targets =
        List.of(
            PodMonitorScrape.target(
                monitors,
                "gpudra-controller",
                new PodMonitorScrape.Pod(
                    RELEASE_NAMESPACE, "gpudra-controller-e2e", "e2e-host", "controller"),
                controller.metricsTarget()),
            pluginTarget(monitors, gpuNode),
            pluginTarget(monitors, downNode));
    targets.forEach(t -> System.out.println("[e2e] scrape target " + t));
    prometheus =
        scenario.closeAfterAll(
            PrometheusServer.start(plane.workDir().resolve("prometheus"), targets, List.of(RULES)));
    // Claims are created once Prometheus holds a sample of each target, so that the allocation
    // latency histogram's increase falls inside the scraped range (a rate needs two samples).
    await("first scrape of every target")
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> results("up == 1").size() == targets.size());

    createClaim("allocated", null, false);
    createPod("allocated-pod", "allocated");
    createClaim(
        "pending", "device.attributes[\"gpu.gpudra.dev\"].productName == \"NVIDIA B200\"", false);
    createClaim("mps", null, true);
    createPod("mps-pod", "mps");
    createTimeSlicedClaim("sliced");
    createPod("sliced-pod", "sliced");
    awaitRunning("allocated-pod");
    awaitRunning("sliced-pod");
    await("a failed prepare of claim mps")
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                gpuNode.agent().problems().stream()
                    .anyMatch(p -> p.startsWith(NAMESPACE + "/mps-pod: prepare of claim")));
    System.out.println("[e2e] staged failure: " + gpuNode.agent().problems().getFirst());
    faults().xid(FAILING_GPU, FATAL_XID);
    downNode.killPlugin();
    System.out.printf(
        "[e2e] controller, Prometheus and pods staged in %.1f s%n",
        (System.nanoTime() - start) / 1e9);
  }

  private static ScrapeTarget pluginTarget(List<HasMetadata> monitors, FakeGpuNode node) {
    return PodMonitorScrape.target(
        monitors,
        "gpudra-kubelet-plugin",
        new PodMonitorScrape.Pod(
            RELEASE_NAMESPACE,
            "gpudra-kubelet-plugin-" + node.name(),
            node.name(),
            "kubelet-plugin"),
        node.metricsTarget());
  }

  @Test
  void promtoolAcceptsTheRuleFile() {
    Command check =
        Command.run(
            Duration.ofMinutes(1),
            Map.of(),
            List.of(PrometheusServer.PROMTOOL.toString(), "check", "rules", RULES.toString()));
    assertThat(check.exitCode()).as(check.stdout() + check.stderr()).isZero();
    assertThat(check.stdout()).contains("SUCCESS: 6 rules found");
    System.out.println("[e2e] promtool check rules: " + check.stdout().strip().replace('\n', ' '));
  }

  @Test
  void chartShipsTheDashboardPodMonitorsAndTheRuleFileUnchanged() throws IOException {
    List<HasMetadata> objects = ChartManifests.render(plane, "default", MONITORING_VALUES);

    ConfigMap dashboard =
        ChartManifests.ofType(objects, ConfigMap.class).stream()
            .filter(c -> "1".equals(c.getMetadata().getLabels().get("grafana_dashboard")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ConfigMap labelled grafana_dashboard=1"));
    JsonMapper json = JsonMapper.builder().build();
    assertThat(json.readTree(dashboard.getData().get("gpudra.json")))
        .isEqualTo(json.readTree(DASHBOARD.toFile()));

    List<GenericKubernetesResource> monitors = byKind(objects, "PodMonitor");
    assertThat(monitors)
        .extracting(m -> m.getMetadata().getName())
        .containsExactlyInAnyOrder("gpudra-kubelet-plugin", "gpudra-controller");

    List<GenericKubernetesResource> rules = byKind(objects, "PrometheusRule");
    assertThat(rules).hasSize(1);
    Object file = client.getKubernetesSerialization().unmarshal(Files.readString(RULES), Map.class);
    assertThat(rules.getFirst().getAdditionalProperties().get("spec")).isEqualTo(file);

    // Off by default: a plain install needs no Prometheus Operator CRDs.
    List<HasMetadata> defaults = ChartManifests.render(plane, "default");
    assertThat(byKind(defaults, "PodMonitor")).isEmpty();
    assertThat(byKind(defaults, "PrometheusRule")).isEmpty();
    assertThat(ChartManifests.ofType(defaults, ConfigMap.class)).isEmpty();
  }

  @Test
  void prometheusParsesEveryPanelQueryAndLoadsEveryAlert() {
    // The check can fail: Prometheus answers bad_data to a syntax error.
    assertThat(prometheus.query("sum by (state) (gpudra_claims").path("errorType").asString())
        .isEqualTo("bad_data");

    for (Query query : DashboardQueries.of(DASHBOARD)) {
      JsonNode answer = prometheus.query(query.expr());
      assertThat(answer.path("status").asString()).as(query + " -> " + answer).isEqualTo("success");
    }
    // Prometheus refuses to start on a rule it cannot parse; here each is also evaluated.
    Map<String, String> alerts =
        await("every alert evaluated")
            .atMost(DATA_TIMEOUT)
            .pollInterval(Duration.ofMillis(500))
            .until(this::alertHealth, health -> health.values().stream().allMatch("ok"::equals));
    assertThat(alerts.keySet())
        .containsExactlyInAnyOrder(
            "GpudraClaimPendingTooLong",
            "GpudraPrepareErrors",
            "GpudraKubeletPluginDown",
            "GpudraControllerViewNotSynced",
            "GpudraFatalXid",
            "GpudraBatchPodsWaiting");
    alerts.forEach((alert, health) -> System.out.println("[e2e] alert " + alert + ": " + health));
  }

  /**
   * Every panel shows a number, controller and plugin side alike; then the panels that tell the
   * staged story are read for it: the claim's own namespace, the failed prepares on the H100 node's
   * plugin, its prepared claim, one plugin up, one down, and the GPU with the XID unhealthy.
   */
  @Test
  void everyPanelQueryReturnsNumbersFromTheScrapedComponents() {
    // Fresh observations for the rate panels (allocation, prepare and unprepare latency), and a
    // second XID, so that the XID counter scraped before it grows.
    await("the XID counter scraped")
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> !results("gpudra_xid_errors_total").isEmpty());
    faults().xid(FAILING_GPU, FATAL_XID);
    runAndDeleteAShortLivedPod();

    for (Query query : DashboardQueries.of(DASHBOARD)) {
      JsonNode result = awaitResult(query.toString(), query.expr(), InstantResults::hasANumber);
      System.out.printf("[e2e] %s -> %d samples %s%n", query, result.size(), samples(result));
    }

    String gpuPlugin = gpuNode.metricsTarget();
    String downPlugin = downNode.metricsTarget();
    awaitPanel(
        "Pending claims by namespace",
        0,
        r -> sampleValue(r, "namespace", NAMESPACE) >= 1,
        "the pending claim counted in its own namespace, not the controller's");
    awaitPanel(
        "Prepare and unprepare errors",
        0,
        r -> sampleValue(r, "instance", gpuPlugin) > 0,
        "failed prepares of claim mps on " + GPU_NODE);
    awaitPanel(
        "Prepared claims per plugin",
        0,
        r -> sampleValue(r, "instance", gpuPlugin) >= 1,
        "claim allocated prepared on " + GPU_NODE);
    awaitPanel(
        "Plugins up",
        0,
        r ->
            sampleValue(r, "instance", gpuPlugin) == 1
                && sampleValue(r, "instance", downPlugin) == 0,
        "the plugin of " + GPU_NODE + " up, that of " + DOWN_NODE + " down");
    awaitPanel(
        "Unhealthy GPUs",
        0,
        r -> r.size() == 1 && sampleValue(r, "device", FAILING_DEVICE) == 1,
        FAILING_DEVICE + " of " + GPU_NODE + " and no other device unhealthy");
    awaitPanel(
        "XID errors",
        0,
        r -> sampleValue(r, "xid", Integer.toString(FATAL_XID)) > 0,
        "XID " + FATAL_XID + " on " + FAILING_DEVICE);
    awaitPanel(
        "Claims per GPU",
        0,
        r -> r.size() >= 2 && sampleValue(r, "instance", gpuPlugin) == 1,
        "claims allocated and sliced, each on a GPU of its own");
    awaitPanel(
        "GPU time slice",
        0,
        r -> samplesWith(r, LONG_TIME_SLICE) == 1,
        "the Long time slice of claim sliced's GPU and no other");
    awaitPanel(
        "GPU memory held per workload",
        0,
        r ->
            sampleValue(r, "owner_name", "allocated-pod") > 0
                && NAMESPACE.equals(labelOf(r, "owner_name", "allocated-pod", "namespace")),
        "the whole GPU of pod allocated-pod, in its own namespace (not the plugin pod's)");
    awaitPanel(
        "MPS control daemons",
        0,
        r -> samplesWith(r, 0) >= 8 && samplesWith(r, 1) == 0,
        "no daemon on any of the 8 GPUs of " + GPU_NODE + ": the refused MPS claim started none");
    assertThat(gpuNode.agent().problems())
        .as("only the refused MPS claim fails")
        .allMatch(p -> p.startsWith(NAMESPACE + "/mps-pod: prepare of claim"));
  }

  /**
   * Every alert expression returns samples: the two alerts whose condition was brought about have
   * samples for the whole expression and are active with the labels of the failing plugin; the
   * others (a claim pending 10 minutes, a view unsynced 10 minutes, which promtool tests fire) have
   * samples for the series they compare and none over their threshold here.
   */
  @Test
  void everyAlertExpressionReturnsSamplesAndTheStagedConditionsAlert() throws IOException {
    for (Map.Entry<String, String> rule : alertExpressions().entrySet()) {
      String alert = rule.getKey();
      String expr = rule.getValue();
      Matcher threshold = THRESHOLD.matcher(expr);
      assertThat(threshold.matches()).as("%s compares with a threshold: %s", alert, expr).isTrue();
      String series = threshold.group(1);

      JsonNode watched = awaitResult(alert + " series", series, InstantResults::hasANumber);
      System.out.printf(
          "[e2e] alert %s series: %s -> %d samples %s%n",
          alert, series, watched.size(), samples(watched));
      if (STAGED_ALERTS.contains(alert)) {
        JsonNode firing = awaitResult(alert, expr, r -> !r.isEmpty());
        System.out.printf(
            "[e2e] alert %s: %s -> %d samples %s%n", alert, expr, firing.size(), samples(firing));
      } else {
        JsonNode quiet = results(expr);
        System.out.printf(
            "[e2e] alert %s: %s -> %d samples (threshold not reached here; promtool tests fire it)%n",
            alert, expr, quiet.size());
        assertThat(quiet).as(alert + " on a healthy cluster").isEmpty();
      }
    }

    Map<String, JsonNode> active =
        await("both staged alerts active")
            .atMost(DATA_TIMEOUT)
            .pollInterval(Duration.ofSeconds(1))
            .until(this::activeAlerts, a -> a.keySet().containsAll(STAGED_ALERTS));
    JsonNode prepareErrors = active.get("GpudraPrepareErrors");
    assertThat(prepareErrors.path("state").asString()).isEqualTo("firing");
    assertThat(prepareErrors.path("labels").path("instance").asString())
        .isEqualTo(gpuNode.metricsTarget());
    assertThat(prepareErrors.path("annotations").path("summary").asString())
        .isEqualTo("The kubelet plugin " + gpuNode.metricsTarget() + " failed to prepare claims");
    JsonNode pluginDown = active.get("GpudraKubeletPluginDown");
    // for: 5m keeps it pending for this test's lifetime; promtool tests it firing.
    assertThat(pluginDown.path("state").asString()).isEqualTo("pending");
    assertThat(pluginDown.path("labels").path("instance").asString())
        .isEqualTo(downNode.metricsTarget());
    assertThat(pluginDown.path("labels").path("node_name").asString()).isEqualTo(DOWN_NODE);
    JsonNode fatalXid = active.get("GpudraFatalXid");
    assertThat(fatalXid.path("state").asString()).isEqualTo("firing");
    assertThat(fatalXid.path("labels").path("instance").asString())
        .isEqualTo(gpuNode.metricsTarget());
    assertThat(fatalXid.path("labels").path("device").asString()).isEqualTo(FAILING_DEVICE);
    assertThat(fatalXid.path("labels").path("xid").asString())
        .isEqualTo(Integer.toString(FATAL_XID));
    assertThat(active.keySet()).as("active alerts").isEqualTo(STAGED_ALERTS);
    active.forEach(
        (name, alert) ->
            System.out.printf(
                "[e2e] alert %s %s %s%n",
                name, alert.path("state").asString(), alert.path("labels")));
  }

  private void runAndDeleteAShortLivedPod() {
    String name = "short-lived-" + ++shortLivedPods;
    createClaim(name, null, false);
    createPod(name, name);
    awaitRunning(name);
    client.pods().inNamespace(NAMESPACE).withName(name).delete();
    await("deletion of pod " + name)
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> client.pods().inNamespace(NAMESPACE).withName(name).get() == null);
  }

  private void awaitPanel(String title, int target, Predicate<JsonNode> story, String what) {
    Query query =
        DashboardQueries.of(DASHBOARD).stream()
            .filter(q -> q.panel().equals(title))
            .skip(target)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no panel " + title));
    JsonNode result = awaitResult(what + ": " + query, query.expr(), story);
    System.out.printf("[e2e] %s shows %s: %s%n", title, what, samples(result));
  }

  private JsonNode awaitResult(String alias, String promql, Predicate<JsonNode> condition) {
    return await(alias)
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> results(promql), condition);
  }

  private JsonNode results(String promql) {
    return prometheus.query(promql).path("data").path("result");
  }

  private Map<String, String> alertHealth() {
    Map<String, String> health = new LinkedHashMap<>();
    for (JsonNode group : prometheus.rules().path("data").path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        health.put(rule.path("name").asString(), rule.path("health").asString());
      }
    }
    return health;
  }

  private Map<String, JsonNode> activeAlerts() {
    Map<String, JsonNode> active = new LinkedHashMap<>();
    for (JsonNode alert : prometheus.alerts().path("data").path("alerts")) {
      active.put(alert.path("labels").path("alertname").asString(), alert);
    }
    return active;
  }

  @SuppressWarnings("unchecked")
  private Map<String, String> alertExpressions() throws IOException {
    Map<String, Object> file =
        client.getKubernetesSerialization().unmarshal(Files.readString(RULES), Map.class);
    Map<String, String> expressions = new LinkedHashMap<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
      for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
        expressions.put((String) rule.get("alert"), (String) rule.get("expr"));
      }
    }
    assertThat(expressions).hasSize(6);
    return expressions;
  }

  private static List<GenericKubernetesResource> byKind(List<HasMetadata> objects, String kind) {
    return objects.stream()
        .filter(o -> kind.equals(o.getKind()))
        .map(GenericKubernetesResource.class::cast)
        .toList();
  }

  private Pod awaitRunning(String name) {
    return await("pod " + name + " Running")
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> client.pods().inNamespace(NAMESPACE).withName(name).get(),
            p -> p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
  }

  /**
   * A claim for one full GPU; {@code cel} narrows the devices; {@code mps} asks for MPS sharing,
   * which the plugins here do not enable, so preparing it fails.
   */
  private void createClaim(String name, String cel, boolean mps) {
    ResourceClaim claim =
        TestClaims.exactly(name, "gpu", "gpu.gpudra.dev", Optional.ofNullable(cel), 1);
    if (mps) {
      claim = withSharing(claim, Map.of("strategy", "MPS"));
    }
    client.resource(claim).inNamespace(NAMESPACE).create();
  }

  /** A claim for one full GPU whose time slice its GpuConfig sets to Long. */
  private void createTimeSlicedClaim(String name) {
    ResourceClaim claim =
        withSharing(
            TestClaims.exactly(name, "gpu", "gpu.gpudra.dev", Optional.empty(), 1),
            Map.of("strategy", "TimeSlicing", "timeSlicingConfig", Map.of("interval", "Long")));
    client.resource(claim).inNamespace(NAMESPACE).create();
  }

  /** {@code claim} with a GpuConfig of {@code sharing} for all its requests. */
  private static ResourceClaim withSharing(ResourceClaim claim, Map<String, Object> sharing) {
    return new ResourceClaimBuilder(claim)
        .editSpec()
        .editDevices()
        .addNewConfig()
        .withNewOpaque()
        .withDriver(FakeGpuNode.DRIVER)
        .withParameters(
            Map.of("apiVersion", "gpu.gpudra.dev/v1", "kind", "GpuConfig", "sharing", sharing))
        .endOpaque()
        .endConfig()
        .endDevices()
        .endSpec()
        .build();
  }

  /** The fault log of the H100 node's mock NVML, which its plugin's event sets read. */
  private MockNvmlFaults faults() {
    return MockNvmlFaults.forState(gpuNode.files().nvmlStateFile());
  }

  private void createPod(String name, String claim) {
    client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(TestPods.usingClaim(name, "gpu", claim, Optional.of(GPU_NODE)))
        .create();
  }
}
