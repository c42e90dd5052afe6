package dev.gpudra.e2e.footprint;

import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.cluster.ControlPlane;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The JVM options the chart gives the kubelet plugin and the controller ({@code JDK_JAVA_OPTIONS}
 * of their containers, from {@code jvmOptions} in the values), read from what {@code helm template}
 * renders with the default values, so that a benchmark runs both programs exactly as installed, and
 * the settings that pace the controller's periodic work ({@link #PACE}). The one option that names
 * a file of the image, the ahead-of-time cache ({@value #AOT_CACHE}), is replaced by the path of a
 * cache outside the image (trained by the benchmark, or the image build's own), or dropped.
 */
public record ChartJvmOptions(
    List<String> plugin, List<String> controller, Map<String, String> controllerPace) {

  /** The environment variable through which the chart passes JVM options to {@code java}. */
  public static final String ENV = "JDK_JAVA_OPTIONS";

  /** The option that names the image's AOT cache ({@code /app/aot/<program>.aot}). */
  public static final String AOT_CACHE = "-XX:AOTCache=";

  /**
   * The controller's settings that pace its periodic work, as the chart sets them: how often the
   * metrics are refreshed and pending claims explained, and how long a claim pends before it is.
   */
  public static final List<String> PACE =
      List.of("GPUDRA_METRICS_REFRESH_INTERVAL", "GPUDRA_EXPLAIN_PENDING_AFTER");

  /**
   * @param plugin the kubelet plugin's JVM options
   * @param controller the controller's JVM options
   * @param controllerPace the chart's values of {@link #PACE}
   */
  public ChartJvmOptions {
    plugin = List.copyOf(plugin);
    controller = List.copyOf(controller);
    controllerPace = Map.copyOf(controllerPace);
  }

  /** The chart's metrics refresh interval of the controller (its passes' period). */
  public Duration controllerRefresh() {
    return Duration.parse(controllerPace.get(PACE.getFirst()));
  }

  /** Renders the chart with its default values. */
  public static ChartJvmOptions render(ControlPlane plane) {
    List<HasMetadata> objects = ChartManifests.render(plane, "gpudra-system");
    Container plugin =
        ChartManifests.ofType(objects, DaemonSet.class)
            .getFirst()
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .getFirst();
    Container controller =
        ChartManifests.ofType(objects, Deployment.class).stream()
            .filter(d -> d.getMetadata().getName().endsWith("controller"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("the chart renders no controller"))
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .getFirst();
    Map<String, String> pace = new LinkedHashMap<>();
    for (EnvVar e : controller.getEnv()) {
      if (PACE.contains(e.getName()) && e.getValue() != null) {
        pace.put(e.getName(), e.getValue());
      }
    }
    if (!pace.keySet().containsAll(PACE)) {
      throw new IllegalStateException("the chart's controller sets only " + pace + " of " + PACE);
    }
    return new ChartJvmOptions(options(plugin), options(controller), pace);
  }

  /** {@code options} without the AOT cache: what the chart's flags do on their own. */
  public static List<String> withoutAotCache(List<String> options) {
    return options.stream().filter(o -> !o.startsWith(AOT_CACHE)).toList();
  }

  /** {@code options} with {@code cache} as the AOT cache in place of the image's. */
  public static List<String> withAotCache(List<String> options, Path cache) {
    return Stream.concat(withoutAotCache(options).stream(), Stream.of(AOT_CACHE + cache)).toList();
  }

  /** {@code options} for a training run that writes {@code cache} as the JVM exits. */
  public static List<String> training(List<String> options, Path cache) {
    return Stream.concat(
            withoutAotCache(options).stream(), Stream.of("-XX:AOTCacheOutput=" + cache))
        .toList();
  }

  private static List<String> options(Container container) {
    return container.getEnv().stream()
        .filter(e -> ENV.equals(e.getName()))
        .map(EnvVar::getValue)
        .findFirst()
        .map(v -> Arrays.stream(v.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }
}
