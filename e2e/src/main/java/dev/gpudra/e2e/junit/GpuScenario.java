package dev.gpudra.e2e.junit;

import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What an e2e scenario class needs around the run's control plane ({@link ControlPlaneExtension},
 * which it extends): the chart's DeviceClasses, a namespace of its own, fake GPU nodes of given
 * mock NVML profiles and plugin settings, and afterwards the cluster as it found it. A scenario
 * declares it in a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GpuScenario scenario =
 *     GpuScenario.inNamespace("example-one-gpu").withNode("gpu-a100-8x", "a100-8x");
 * }</pre>
 *
 * <p>Before the class: DeviceClasses applied (with the given chart values), the namespace created
 * and ready for pods, each node started and registered with its plugin, in declaration order. After
 * each test: the namespaces the test created through {@link #createNamespace} (or handed over with
 * {@link #removeAfterTest}) lose their pods, which the node agents unprepare while the plugins
 * still run, and are deleted. After the class: what the scenario handed over with {@link
 * #closeAfterAll} is closed (newest first), the class namespace (and those handed over with {@link
 * #removeAfterAll}) goes the same way, the nodes stop (plugin processes, slices, Node objects,
 * files), and DeviceClasses installed with other values than the chart's defaults are set back to
 * them. A failure prints, besides {@code ClusterDiagnostics}, every node's agent problems and the
 * end of its plugin's log.
 *
 * <p>Not thread-safe: JUnit runs a class's lifecycle on one thread here (no parallel execution).
 */
public final class GpuScenario extends ControlPlaneExtension
    implements AfterEachCallback, AfterAllCallback {

  /** How long pods get to be unprepared and gone at cleanup. */
  private static final Duration CLEANUP_TIMEOUT = Duration.ofMinutes(2);

  private static final int LOG_LINES = 30;

  /**
   * A fake GPU node of the scenario.
   *
   * @param name the Node's name, also its ResourceSlice pool; unique across the run's classes
   * @param profile the mock NVML profile, e.g. {@code a100-8x}
   * @param pluginSettings added to the plugin's environment, e.g. {@code GPUDRA_DYNAMIC_MIG=true}
   */
  public record NodeSpec(String name, String profile, Map<String, String> pluginSettings) {
    /** Copies. */
    public NodeSpec {
      pluginSettings = Map.copyOf(pluginSettings);
    }
  }

  private final Optional<String> namespace;
  private final List<NodeSpec> nodeSpecs;
  private final List<String> deviceClassValues;

  private ControlPlane plane;
  private final List<FakeGpuNode> nodes = new ArrayList<>();
  private final List<AutoCloseable> closeAfterAll = new ArrayList<>();
  private final List<String> testNamespaces = new ArrayList<>();
  private final List<String> classNamespaces = new ArrayList<>();

  private GpuScenario(
      Optional<String> namespace, List<NodeSpec> nodeSpecs, List<String> deviceClassValues) {
    this.namespace = namespace;
    this.nodeSpecs = List.copyOf(nodeSpecs);
    this.deviceClassValues = List.copyOf(deviceClassValues);
  }

  /** A scenario whose class works in namespace {@code name} (created before, deleted after). */
  public static GpuScenario inNamespace(String name) {
    return new GpuScenario(Optional.of(name), List.of(), List.of());
  }

  /**
   * A scenario without a class namespace: its tests create their own ({@link #createNamespace}).
   */
  public static GpuScenario withoutNamespace() {
    return new GpuScenario(Optional.empty(), List.of(), List.of());
  }

  /** This scenario plus node {@code name} serving mock NVML {@code profile}. */
  public GpuScenario withNode(String name, String profile) {
    return withNode(name, profile, Map.of());
  }

  /** This scenario plus a node whose plugin runs with {@code pluginSettings} in its environment. */
  public GpuScenario withNode(String name, String profile, Map<String, String> pluginSettings) {
    List<NodeSpec> specs = new ArrayList<>(nodeSpecs);
    specs.add(new NodeSpec(name, profile, pluginSettings));
    return new GpuScenario(namespace, specs, deviceClassValues);
  }

  /**
   * This scenario with the chart's DeviceClasses rendered with these {@code --set} values (e.g.
   * {@code deviceClasses.gpu.extendedResourceName=nvidia.com/gpu}) instead of its defaults.
   */
  public GpuScenario withDeviceClasses(String... setValues) {
    return new GpuScenario(namespace, nodeSpecs, List.of(setValues));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    super.beforeAll(context);
    plane = controlPlane(context);
    try {
      ChartDeviceClasses.apply(plane, deviceClassValues.toArray(String[]::new));
      namespace.ifPresent(ns -> Namespaces.create(plane.client(), ns));
      for (NodeSpec spec : nodeSpecs) {
        long start = System.nanoTime();
        FakeGpuNode node =
            FakeGpuNode.start(plane, spec.name(), spec.profile(), spec.pluginSettings());
        nodes.add(node);
        ControlPlane.log(
            String.format(
                "fake node %s (%s%s): plugin ready and registered in %.1f s (log %s)",
                node.name(),
                spec.profile(),
                spec.pluginSettings().isEmpty() ? "" : ", " + spec.pluginSettings(),
                (System.nanoTime() - start) / 1e9,
                node.pluginLog()));
      }
    } catch (IOException e) {
      diagnose(plane);
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      diagnose(plane);
      throw e;
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    removeNamespaces(testNamespaces);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    Exception first = null;
    for (AutoCloseable part : closeAfterAll.reversed()) {
      try {
        part.close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    closeAfterAll.clear();
    if (plane != null) {
      try {
        namespace.ifPresent(classNamespaces::add);
        removeNamespaces(testNamespaces);
        removeNamespaces(classNamespaces);
      } finally {
        // Even when pods would not go: no plugin process may outlive its class.
        for (FakeGpuNode node : nodes.reversed()) {
          node.close();
        }
        nodes.clear();
      }
      if (!deviceClassValues.isEmpty()) {
        // The other scenarios of the run expect the classes as the chart installs them by default.
        ChartDeviceClasses.apply(plane);
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** The run's control plane; set from the class's start on. */
  public ControlPlane plane() {
    if (plane == null) {
      throw new IllegalStateException("the scenario has not started; register it as an extension");
    }
    return plane;
  }

  /** The control plane's admin client. */
  public KubernetesClient client() {
    return plane().client();
  }

  /** The class namespace. */
  public String namespace() {
    return namespace.orElseThrow(() -> new IllegalStateException("the scenario has none"));
  }

  /** The scenario's nodes, in declaration order. */
  public List<FakeGpuNode> nodes() {
    return List.copyOf(nodes);
  }

  /** The node named {@code name}. */
  public FakeGpuNode node(String name) {
    return nodes.stream()
        .filter(n -> n.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node " + name + " in the scenario"));
  }

  /** Creates namespace {@code name}, ready for pods, and removes it after the current test. */
  public String createNamespace(String name) {
    Namespaces.create(client(), name);
    return removeAfterTest(name);
  }

  /** Removes namespace {@code name}, which something else created, after the current test. */
  public String removeAfterTest(String name) {
    testNamespaces.add(name);
    return name;
  }

  /** Removes namespace {@code name}, which something else created, after the class. */
  public String removeAfterAll(String name) {
    classNamespaces.add(name);
    return name;
  }

  /** Closes {@code part} after the class, before the nodes stop; returns it. */
  public <T extends AutoCloseable> T closeAfterAll(T part) {
    closeAfterAll.add(part);
    return part;
  }

  @Override
  protected void diagnose(ControlPlane plane) {
    // The nodes first: the cluster's part ends with the end-of-diagnostics line.
    for (FakeGpuNode node : nodes) {
      System.out.println("----- fake node " + node.name() + " -----");
      System.out.println("  node agent problems: " + node.agent().problems());
      System.out.println("  last " + LOG_LINES + " lines of " + node.pluginLog() + ":");
      System.out.println(node.pluginLogTail(LOG_LINES));
    }
    super.diagnose(plane);
  }

  /**
   * Deletes the namespaces' pods, waits until they are gone, then deletes the namespaces. A pod on
   * one of the scenario's nodes is deleted gracefully, so that its node agent unprepares its claims
   * first, as a kubelet would; a pod bound to any other node has no kubelet to finish its deletion
   * and is removed at once.
   */
  private void removeNamespaces(List<String> pending) {
    // Taken over at once, so that a failure here is not repeated by the next cleanup.
    List<String> names = List.copyOf(pending);
    pending.clear();
    KubernetesClient client = client();
    Set<String> withAgent = nodes.stream().map(FakeGpuNode::name).collect(Collectors.toSet());
    for (String name : names) {
      for (Pod pod : client.pods().inNamespace(name).list().getItems()) {
        String node = pod.getSpec().getNodeName();
        var resource = client.pods().inNamespace(name).withName(pod.getMetadata().getName());
        if (node == null || withAgent.contains(node)) {
          resource.delete();
        } else {
          resource.withGracePeriod(0).delete();
        }
      }
    }
    for (String name : names) {
      Poll.until(
          "deletion of the pods of " + name,
          CLEANUP_TIMEOUT,
          Duration.ofMillis(250),
          () -> client.pods().inNamespace(name).list().getItems().size(),
          remaining -> remaining == 0);
      client.namespaces().withName(name).delete();
    }
  }
}
