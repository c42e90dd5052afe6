package dev.gpudra.e2e.junit;

import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.realnode.DriverRelease;
import dev.gpudra.e2e.realnode.RealNode;
import dev.gpudra.e2e.realnode.RealNodes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;

/**
 * Real nodes for an e2e class, on the run's control plane ({@link ControlPlaneExtension}, which it
 * extends): containerd, runc and a kubelet per node ({@link RealNodes}), started before the class
 * in declaration order and stopped after it, the host put back as it was. Tests declare a {@link
 * RealNodes} parameter. A failure prints, besides {@code ClusterDiagnostics}, the end of every
 * node's kubelet log.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RealNodeScenario nodes =
 *     RealNodeScenario.withNode("gpu-a100-8x", "a100-8x").withNode("gpu-h100-8x", "h100-8x");
 * }</pre>
 */
public final class RealNodeScenario extends ControlPlaneExtension implements AfterAllCallback {

  private static final int LOG_LINES = 30;

  private final Map<String, String> profiles;
  private final List<Path> images;
  private final boolean driver;
  private final List<String> driverValues;
  private RealNodes nodes;
  private DriverRelease release;

  private RealNodeScenario(
      Map<String, String> profiles, List<Path> images, boolean driver, List<String> driverValues) {
    this.profiles = profiles;
    this.images = images;
    this.driver = driver;
    this.driverValues = List.copyOf(driverValues);
  }

  /** A scenario with node {@code name} serving mock NVML {@code profile}. */
  public static RealNodeScenario withNode(String name, String profile) {
    return new RealNodeScenario(Map.of(), List.of(), false, List.of()).andNode(name, profile);
  }

  /** This scenario plus node {@code name} serving {@code profile}. */
  public RealNodeScenario andNode(String name, String profile) {
    Map<String, String> more = new LinkedHashMap<>(profiles);
    more.put(name, profile);
    return new RealNodeScenario(more, images, driver, driverValues);
  }

  /** This scenario with the OCI image tar {@code image} imported into every node. */
  public RealNodeScenario withImage(Path image) {
    return new RealNodeScenario(
        profiles, Stream.concat(images.stream(), Stream.of(image)).toList(), driver, driverValues);
  }

  /**
   * This scenario with our driver: its image ({@link DriverRelease#imageTar()}) imported into every
   * node and the chart installed with Helm before the class, uninstalled after it.
   */
  public RealNodeScenario withDriver() {
    return new RealNodeScenario(profiles, images, true, List.of());
  }

  /** {@link #withDriver()} with these {@code --set} values added, e.g. a health taint effect. */
  public RealNodeScenario withDriver(String... setValues) {
    return new RealNodeScenario(profiles, images, true, List.of(setValues));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    ControlPlane plane = controlPlane(context);
    List<Path> all =
        driver
            ? Stream.concat(images.stream(), Stream.of(DriverRelease.imageTar())).toList()
            : images;
    nodes = RealNodes.start(plane, profiles, all);
    if (driver) {
      try {
        release = DriverRelease.install(plane, nodes, driverValues);
      } catch (RuntimeException e) {
        diagnose(plane);
        nodes.close();
        throw e;
      }
    }
  }

  /** The chart's release; only with {@link #withDriver()}. */
  public DriverRelease release() {
    if (release == null) {
      throw new IllegalStateException("the scenario has no driver (withDriver) or has not started");
    }
    return release;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      if (release != null) {
        release.close();
      }
    } finally {
      if (nodes != null) {
        nodes.close();
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RealNodes.class
        || parameter.getParameter().getType() == DriverRelease.class
        || super.supportsParameter(parameter, context);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == RealNodes.class) {
      return nodes;
    }
    return type == DriverRelease.class ? release() : super.resolveParameter(parameter, context);
  }

  @Override
  protected void diagnose(ControlPlane plane) {
    super.diagnose(plane);
    if (nodes != null) {
      for (RealNode node : nodes.nodes()) {
        System.out.println(
            "--- last lines of "
                + node.kubeletLog()
                + ":\n"
                + ComponentProcess.tail(node.kubeletLog(), LOG_LINES));
      }
    }
  }
}
