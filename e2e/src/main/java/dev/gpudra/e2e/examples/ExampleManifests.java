package dev.gpudra.e2e.examples;

import dev.gpudra.e2e.cluster.Namespaces;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** The manifests of {@code examples/<name>/}, applied as a user would, file by file. */
public final class ExampleManifests {

  /** System property naming the repository's {@code examples/} directory. */
  public static final String EXAMPLES_PROPERTY = "gpudra.e2e.examples";

  private ExampleManifests() {}

  /** {@code examples/<example>/<file>}. */
  public static Path file(String example, String file) {
    return Path.of(System.getProperty(EXAMPLES_PROPERTY, "../examples"), example, file);
  }

  /**
   * Creates every object of the given files of {@code example}, in order, as {@code kubectl create
   * -n namespace -f ...} does: an object naming its own namespace goes there, a Namespace is
   * created (and awaited until pods may be created in it), every other object goes to {@code
   * namespace}.
   */
  public static List<HasMetadata> apply(
      KubernetesClient client, String namespace, String example, String... files) {
    return apply(client, namespace, example, UnaryOperator.identity(), files);
  }

  /**
   * As {@link #apply(KubernetesClient, String, String, String...)}, each object passed through
   * {@code adapt} first (e.g. a pod's container given an image the node has).
   */
  public static List<HasMetadata> apply(
      KubernetesClient client,
      String namespace,
      String example,
      UnaryOperator<HasMetadata> adapt,
      String... files) {
    List<HasMetadata> created = new ArrayList<>();
    for (String name : files) {
      try (InputStream in = Files.newInputStream(file(example, name))) {
        for (HasMetadata loaded : client.load(in).items()) {
          HasMetadata item = adapt.apply(loaded);
          if (item instanceof Namespace ns) {
            created.add(client.resource(ns).create());
            Namespaces.awaitReady(client, ns.getMetadata().getName());
          } else {
            String target =
                item.getMetadata().getNamespace() == null
                    ? namespace
                    : item.getMetadata().getNamespace();
            created.add(client.resource(item).inNamespace(target).create());
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return created;
  }
}
