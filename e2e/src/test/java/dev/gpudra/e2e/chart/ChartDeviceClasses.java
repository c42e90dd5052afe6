package dev.gpudra.e2e.chart;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The DeviceClasses exactly as the chart renders them, so scheduling tests run against what users
 * install rather than a copy in test code.
 */
public final class ChartDeviceClasses {

  /** Field manager for server-side apply, as an installer would have one. */
  public static final String FIELD_MANAGER = "gpudra-e2e";

  private ChartDeviceClasses() {}

  /** The objects {@code helm template} renders with the given {@code --set} values. */
  public static List<HasMetadata> render(ControlPlane plane, String... setValues) {
    Command rendered = new Helm(plane).template(setValues);
    if (rendered.exitCode() != 0) {
      throw new IllegalStateException("helm template failed: " + rendered.stderr());
    }
    KubernetesClient client = plane.client();
    return client
        .load(new ByteArrayInputStream(rendered.stdout().getBytes(StandardCharsets.UTF_8)))
        .items();
  }

  /** Renders the chart with its defaults and server-side applies the result (idempotent). */
  public static List<HasMetadata> apply(ControlPlane plane) {
    return render(plane).stream()
        .map(
            item ->
                plane
                    .client()
                    .resource(item)
                    .fieldManager(FIELD_MANAGER)
                    .forceConflicts()
                    .serverSideApply())
        .toList();
  }
}
