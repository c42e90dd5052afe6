package dev.gpudra.e2e.chart;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Every object the chart renders, parsed by the fabric8 client, as installers would send them. */
public final class ChartManifests {

  private ChartManifests() {}

  /**
   * The objects {@code helm template} renders for a release in {@code namespace} with the given
   * {@code --set} values.
   *
   * @throws IllegalStateException when Helm fails (e.g. a value the schema rejects)
   */
  public static List<HasMetadata> render(
      ControlPlane plane, String namespace, String... setValues) {
    Command rendered = new Helm(plane).templateInNamespace(namespace, setValues);
    if (rendered.exitCode() != 0) {
      throw new IllegalStateException("helm template failed: " + rendered.stderr());
    }
    return plane
        .client()
        .load(new ByteArrayInputStream(rendered.stdout().getBytes(StandardCharsets.UTF_8)))
        .items();
  }

  /** The rendered objects of one type. */
  public static <T extends HasMetadata> List<T> ofType(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }
}
