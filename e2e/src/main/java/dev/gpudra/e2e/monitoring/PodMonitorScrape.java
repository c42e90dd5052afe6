package dev.gpudra.e2e.monitoring;

import dev.gpudra.e2e.monitoring.PrometheusServer.ScrapeTarget;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the Prometheus Operator makes of one of the chart's PodMonitors for one pod, so that a plain
 * Prometheus scrapes a process of the e2e cluster as the operator would scrape that pod: the target
 * labels the operator sets first ({@code job} as {@code <namespace>/<monitor>}, {@code namespace},
 * {@code pod}, {@code container}, {@code endpoint}), then the monitor's own relabelings, and its
 * {@code honorLabels}.
 *
 * <p>Only the relabeling forms the chart uses are understood (a fixed replacement, a copy of pod
 * meta labels); anything else fails, so a change of the chart's monitors cannot go untested.
 */
public final class PodMonitorScrape {

  private PodMonitorScrape() {}

  /**
   * The pod a target stands for.
   *
   * @param namespace the pod's namespace (the release's)
   * @param name the pod's name
   * @param node the node it runs on
   * @param container the container whose port is scraped
   */
  public record Pod(String namespace, String name, String node, String container) {}

  /**
   * The scrape target for {@code pod} at {@code address} under the rendered PodMonitor named {@code
   * monitor}.
   */
  public static ScrapeTarget target(
      List<HasMetadata> rendered, String monitor, Pod pod, String address) {
    GenericKubernetesResource podMonitor =
        rendered.stream()
            .filter(o -> "PodMonitor".equals(o.getKind()))
            .filter(o -> monitor.equals(o.getMetadata().getName()))
            .map(GenericKubernetesResource.class::cast)
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no PodMonitor " + monitor));
    List<Map<String, Object>> endpoints = podMonitor.get("spec", "podMetricsEndpoints");
    if (endpoints == null || endpoints.size() != 1) {
      throw new IllegalArgumentException(monitor + ": expected one podMetricsEndpoint");
    }
    Map<String, Object> endpoint = endpoints.getFirst();

    Map<String, String> meta =
        Map.of(
            "__meta_kubernetes_namespace", pod.namespace(),
            "__meta_kubernetes_pod_name", pod.name(),
            "__meta_kubernetes_pod_node_name", pod.node(),
            "__meta_kubernetes_pod_container_name", pod.container());
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("job", podMonitor.getMetadata().getNamespace() + "/" + monitor);
    labels.put("namespace", pod.namespace());
    labels.put("pod", pod.name());
    labels.put("container", pod.container());
    labels.put("endpoint", String.valueOf(endpoint.get("port")));
    for (Map<String, Object> relabeling : relabelings(endpoint)) {
      apply(monitor, relabeling, meta, labels);
    }
    return new ScrapeTarget(address, labels, Boolean.TRUE.equals(endpoint.get("honorLabels")));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> relabelings(Map<String, Object> endpoint) {
    Object relabelings = endpoint.get("relabelings");
    return relabelings == null ? List.of() : (List<Map<String, Object>>) relabelings;
  }

  private static void apply(
      String monitor,
      Map<String, Object> relabeling,
      Map<String, String> meta,
      Map<String, String> labels) {
    Object action = relabeling.getOrDefault("action", "replace");
    Object regex = relabeling.getOrDefault("regex", "(.*)");
    String target = (String) relabeling.get("targetLabel");
    if (!"replace".equals(action) || !"(.*)".equals(regex) || target == null) {
      throw new IllegalArgumentException(
          monitor + ": relabeling not understood by this test: " + relabeling);
    }
    @SuppressWarnings("unchecked")
    List<String> sources = (List<String>) relabeling.getOrDefault("sourceLabels", List.of());
    String value =
        sources.stream()
            .map(
                s -> {
                  String v = meta.getOrDefault(s, labels.get(s));
                  if (v == null) {
                    throw new IllegalArgumentException(monitor + ": unknown source label " + s);
                  }
                  return v;
                })
            .collect(Collectors.joining(";"));
    String replacement = (String) relabeling.getOrDefault("replacement", "$1");
    labels.put(target, replacement.replace("$1", value));
  }
}
