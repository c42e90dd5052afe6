package dev.gpudra.e2e.chart;

import dev.gpudra.e2e.cluster.ControlPlane;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import java.util.List;

/**
 * The DeviceClasses exactly as the chart renders them, so scheduling tests run against what users
 * install rather than a copy in test code.
 */
public final class ChartDeviceClasses {

  /** Field manager for server-side apply, as an installer would have one. */
  public static final String FIELD_MANAGER = "gpudra-e2e";

  private ChartDeviceClasses() {}

  /**
   * The DeviceClasses {@code helm template} renders with the given {@code --set} values (the
   * chart's workloads, RBAC and policies are left out: scenarios install only the classes).
   */
  public static List<HasMetadata> render(ControlPlane plane, String... setValues) {
    return ChartManifests.render(plane, "default", setValues).stream()
        .filter(DeviceClass.class::isInstance)
        .toList();
  }

  /**
   * Renders the chart with the given {@code --set} values (its defaults when none) and server-side
   * applies the result (idempotent).
   */
  public static List<HasMetadata> apply(ControlPlane plane, String... setValues) {
    return render(plane, setValues).stream()
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
