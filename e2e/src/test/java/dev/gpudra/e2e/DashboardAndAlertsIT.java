package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.chart.Helm;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.ControlPlaneExtension;
import dev.gpudra.e2e.monitoring.DashboardQueries;
import dev.gpudra.e2e.monitoring.DashboardQueries.Query;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.monitoring.PrometheusServer;
import dev.gpudra.e2e.nodes.FakeNodes;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.e2e.nodes.TestNamespaces;
import dev.gpudra.plugin.slices.ResourceSlicePublisher;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequestBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chart's Grafana dashboard and alert rules on a real Prometheus (Debian's package): the rule
 * file passes {@code promtool}, the chart ships both unchanged, every expression parses, and a
 * driver controller running against the e2e control plane, scraped by Prometheus, gives every
 * controller-side panel data. No kubelet plugin runs in e2e yet, so plugin-side panels are listed
 * as not yet proven rather than checked.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardAndAlertsIT {

  private static final String DRIVER = "gpu.gpudra.dev";
  private static final String NAMESPACE = "monitoring";
  private static final String NODE = "monitoring-h100-8x";
  private static final Path CHART = Path.of(System.getProperty(Helm.CHART_PROPERTY));
  private static final Path DASHBOARD = CHART.resolve("dashboards/gpudra.json");
  private static final Path RULES = CHART.resolve("rules/gpudra-alerts.yaml");
  private static final String[] MONITORING_VALUES = {
    "monitoring.dashboard.enabled=true",
    "monitoring.podMonitor.enabled=true",
    "monitoring.prometheusRule.enabled=true"
  };
  private static final Duration DATA_TIMEOUT = Duration.ofMinutes(2);

  private final ControlPlane plane;
  private final KubernetesClient client;
  private DriverControllerProcess controller;
  private PrometheusServer prometheus;

  DashboardAndAlertsIT(ControlPlane plane) {
    this.plane = plane;
    this.client = plane.client();
  }

  /**
   * The state the controller-side panels show: the chart's DeviceClasses, an 8x H100 node's slices,
   * one claim the scheduler allocates (through a pod) and one no device satisfies.
   */
  @BeforeAll
  void controllerScrapedByPrometheusWithAClusterToShow() {
    PrometheusServer.requireInstalled();
    ChartDeviceClasses.apply(plane);
    TestNamespaces.create(client, NAMESPACE);
    FakeNodes.createReady(client, NODE);
    new ResourceSlicePublisher(client, DRIVER, NODE)
        .publish(
            ResourceSliceMapper.map(
                MockNodeDiscovery.discover("h100-8x", plane.workDir().resolve("mock-nvml")),
                new SliceMappingOptions(DRIVER, NODE, false)));
    controller = DriverControllerProcess.start(plane, NAMESPACE);
    prometheus =
        PrometheusServer.start(
            plane.workDir().resolve("prometheus"),
            Map.of("gpudra-controller", controller.metricsTarget()),
            List.of(RULES));
    // Created once Prometheus holds a sample of the controller, so that the allocation latency
    // histogram's increase falls inside the scraped range (a rate needs two samples).
    await("first scrape of the controller")
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                prometheus.query("up{job=\"gpudra-controller\"} == 1").path("data").path("result"),
            r -> !r.isEmpty());
    createClaim("allocated", null);
    createPod("allocated-pod", "allocated");
    createClaim("pending", "device.attributes[\"gpu.gpudra.dev\"].productName == \"NVIDIA B200\"");
    // Waits for the scheduler, so that the claims panel shows both states from the first query.
    await("allocation of claim allocated")
        .atMost(DATA_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              var claim =
                  client
                      .dynamicResourceAllocation()
                      .v1()
                      .resourceClaims()
                      .inNamespace(NAMESPACE)
                      .withName("allocated")
                      .get();
              return claim.getStatus() != null && claim.getStatus().getAllocation() != null;
            });
  }

  @AfterAll
  void stop() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (controller != null) {
      controller.close();
    }
    client.namespaces().withName(NAMESPACE).delete();
    new ResourceSlicePublisher(client, DRIVER, NODE).deleteAll();
    client.nodes().withName(NODE).delete();
  }

  @Test
  void promtoolAcceptsTheRuleFile() {
    Command check =
        Command.run(
            Duration.ofMinutes(1),
            Map.of(),
            List.of(PrometheusServer.PROMTOOL.toString(), "check", "rules", RULES.toString()));
    assertThat(check.exitCode()).as(check.stdout() + check.stderr()).isZero();
    assertThat(check.stdout()).contains("SUCCESS: 4 rules found");
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
            "GpudraControllerViewNotSynced");
    alerts.forEach((alert, health) -> System.out.println("[e2e] alert " + alert + ": " + health));
  }

  @Test
  void everyControllerPanelQueryReturnsANumberFromTheScrapedController() {
    List<Query> queries = DashboardQueries.of(DASHBOARD);
    List<Query> notYetProven = queries.stream().filter(Query::plugin).toList();
    assertThat(notYetProven).as("plugin-side queries").isNotEmpty();

    for (Query query : queries.stream().filter(q -> !q.plugin()).toList()) {
      JsonNode result =
          await(query.toString())
              .atMost(DATA_TIMEOUT)
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () -> prometheus.query(query.expr()).path("data").path("result"),
                  DashboardAndAlertsIT::hasANumber);
      List<String> values = new ArrayList<>();
      result.forEach(sample -> values.add(sample.path("value").path(1).asString()));
      System.out.printf(
          "[e2e] %s -> %d samples %s%n",
          query, result.size(), values.subList(0, Math.min(4, values.size())));
    }
    notYetProven.forEach(
        q -> System.out.println("[e2e] NOT YET PROVEN (no kubelet plugin runs in e2e): " + q));
  }

  /**
   * Whether an instant-query result holds a sample that is a number: a quantile of a histogram that
   * saw no observation is NaN, a sample but no data.
   */
  private static boolean hasANumber(JsonNode result) {
    for (JsonNode sample : result) {
      if (!"NaN".equals(sample.path("value").path(1).asString())) {
        return true;
      }
    }
    return false;
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

  private static List<GenericKubernetesResource> byKind(List<HasMetadata> objects, String kind) {
    return objects.stream()
        .filter(o -> kind.equals(o.getKind()))
        .map(GenericKubernetesResource.class::cast)
        .toList();
  }

  private void createClaim(String name, String cel) {
    var request =
        new ExactDeviceRequestBuilder()
            .withDeviceClassName("gpu.gpudra.dev")
            .withAllocationMode("ExactCount")
            .withCount(1L);
    if (cel != null) {
      request.addNewSelector().withNewCel().withExpression(cel).endCel().endSelector();
    }
    client
        .dynamicResourceAllocation()
        .v1()
        .resourceClaims()
        .inNamespace(NAMESPACE)
        .resource(
            new ResourceClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withNewDevices()
                .addNewRequest()
                .withName("gpu")
                .withExactly(request.build())
                .endRequest()
                .endDevices()
                .endSpec()
                .build())
        .create();
  }

  private void createPod(String name, String claim) {
    client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .addToNodeSelector("kubernetes.io/hostname", NODE)
                .addNewResourceClaim()
                .withName("gpu")
                .withResourceClaimName(claim)
                .endResourceClaim()
                .addNewContainer()
                .withName("main")
                .withImage("registry.k8s.io/pause:3.10")
                .withNewResources()
                .addNewClaim()
                .withName("gpu")
                .endClaim()
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }
}
