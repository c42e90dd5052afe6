package dev.gpudra.e2e.junit;

import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.ControlPlane;
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
  private RealNodes nodes;

  private RealNodeScenario(Map<String, String> profiles, List<Path> images) {
    this.profiles = profiles;
    this.images = images;
  }

  /** A scenario with node {@code name} serving mock NVML {@code profile}. */
  public static RealNodeScenario withNode(String name, String profile) {
    return new RealNodeScenario(Map.of(), List.of()).andNode(name, profile);
  }

  /** This scenario plus node {@code name} serving {@code profile}. */
  public RealNodeScenario andNode(String name, String profile) {
    Map<String, String> more = new LinkedHashMap<>(profiles);
    more.put(name, profile);
    return new RealNodeScenario(more, images);
  }

  /** This scenario with the OCI image tar {@code image} imported into every node. */
  public RealNodeScenario withImage(Path image) {
    return new RealNodeScenario(
        profiles, Stream.concat(images.stream(), Stream.of(image)).toList());
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    ControlPlane plane = controlPlane(context);
    nodes = RealNodes.start(plane, profiles, images);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (nodes != null) {
      nodes.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RealNodes.class
        || super.supportsParameter(parameter, context);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RealNodes.class
        ? nodes
        : super.resolveParameter(parameter, context);
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
