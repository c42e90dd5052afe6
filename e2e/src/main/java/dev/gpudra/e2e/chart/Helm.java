package dev.gpudra.e2e.chart;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real Helm binary (built by {@code e2e/build-k8s.sh}) run on the project's chart, with Helm's
 * own config, cache and data directories under the control plane's work directory so that tests
 * never read or write the user's Helm setup.
 */
public final class Helm {

  /** System property naming the chart directory; the e2e POM sets it. */
  public static final String CHART_PROPERTY = "gpudra.e2e.chart";

  /** The release name templates are rendered for; object names start with it. */
  public static final String RELEASE = "gpudra";

  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  private final Path binary;
  private final Path chart;
  private final String kubeVersion;
  private final Map<String, String> env;
  private final Path kubeconfig;

  /** Helm for the chart {@code charts/gpudra}, rendering for the control plane's version. */
  public Helm(ControlPlane plane) {
    this.binary = plane.binaries().helm();
    this.chart = Path.of(System.getProperty(CHART_PROPERTY, "../charts/gpudra"));
    this.kubeVersion = plane.binaries().kubernetesVersion();
    this.kubeconfig = plane.kubeconfig().toAbsolutePath();
    Path home = plane.workDir().resolve("helm");
    this.env =
        Map.of(
            "HELM_CONFIG_HOME", home.resolve("config").toString(),
            "HELM_CACHE_HOME", home.resolve("cache").toString(),
            "HELM_DATA_HOME", home.resolve("data").toString());
  }

  /** {@code helm lint --strict} (warnings fail too); any exit status is returned. */
  public Command lint(String... setValues) {
    return run(List.of("lint", "--strict", chart.toString()), setValues, List.of());
  }

  /** {@code helm lint} without {@code --strict}; any exit status is returned. */
  public Command lenientLint(String... setValues) {
    return run(List.of("lint", chart.toString()), setValues, List.of());
  }

  /**
   * {@code helm template} for the control plane's Kubernetes version (the chart declares a minimum
   * version, which Helm checks against this); any exit status is returned.
   */
  public Command template(String... setValues) {
    return templateInNamespace("default", setValues);
  }

  /** {@code helm template} as a release named {@code gpudra} in {@code namespace}. */
  public Command templateInNamespace(String namespace, String... setValues) {
    return run(
        List.of("template", RELEASE, chart.toString()),
        setValues,
        List.of("--kube-version", kubeVersion, "--namespace", namespace));
  }

  /** {@code helm package} of the chart into {@code destination}; any exit status is returned. */
  public Command packageChart(Path destination) {
    return run(
        List.of("package", chart.toString(), "--destination", destination.toString()),
        new String[0],
        List.of());
  }

  /**
   * {@code helm install} of the chart as release {@code gpudra} into {@code namespace} (created if
   * missing) of the control plane's cluster, with {@code valuesFiles} and {@code setValues}.
   * Objects of the chart that exist already unowned (DeviceClasses applied by other scenarios of
   * the run) are taken over. Any exit status is returned.
   */
  public Command install(String namespace, List<Path> valuesFiles, String... setValues) {
    List<String> tail = new ArrayList<>(cluster(namespace));
    tail.addAll(List.of("--create-namespace", "--take-ownership"));
    for (Path file : valuesFiles) {
      tail.add("--values");
      tail.add(file.toString());
    }
    return run(List.of("install", RELEASE, chart.toString()), setValues, tail);
  }

  /**
   * {@code helm upgrade} of release {@code gpudra} in {@code namespace} to the chart with the
   * release's values kept ({@code --reuse-values}) and {@code setValues} added; any exit status.
   */
  public Command upgrade(String namespace, String... setValues) {
    List<String> tail = new ArrayList<>(cluster(namespace));
    tail.add("--reuse-values");
    return run(List.of("upgrade", RELEASE, chart.toString()), setValues, tail);
  }

  /** {@code helm uninstall} of release {@code gpudra} in {@code namespace}; any exit status. */
  public Command uninstall(String namespace) {
    return run(List.of("uninstall", RELEASE), new String[0], cluster(namespace));
  }

  /** The chart directory. */
  public Path chart() {
    return chart;
  }

  private List<String> cluster(String namespace) {
    return List.of("--kubeconfig", kubeconfig.toString(), "--namespace", namespace);
  }

  /** Helm's version line, e.g. {@code v4.3.1+g...}. */
  public String version() {
    return Command.check(TIMEOUT, env, List.of(binary.toString(), "version", "--short"))
        .stdout()
        .strip();
  }

  private Command run(List<String> head, String[] setValues, List<String> tail) {
    List<String> args = new ArrayList<>();
    args.add(binary.toString());
    args.addAll(head);
    for (String value : setValues) {
      args.add("--set");
      args.add(value);
    }
    args.addAll(tail);
    return Command.run(TIMEOUT, env, args);
  }
}
