package dev.gpudra.image;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one image holds: its name, the user and environment of its processes, labels, and its layers
 * from the bottom up. It deliberately has no entrypoint: the chart names each program's command
 * ({@code java @/app/classpath.args <main class>}: the jars of {@code /app/lib} in a fixed order),
 * and one image serves the kubelet plugin, the controller and the CLI.
 */
record ImageSpec(
    ImageReference reference,
    String user,
    List<String> env,
    Map<String, String> labels,
    List<Layer> layers) {

  /** One layer: a name for the build output and history, and the directories it holds. */
  record Layer(String name, List<Path> roots) {
    Layer {
      Objects.requireNonNull(name, "name");
      roots = List.copyOf(roots);
      if (roots.isEmpty()) {
        throw new IllegalArgumentException("layer " + name + " has no source directory");
      }
    }
  }

  ImageSpec {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(user, "user");
    env = List.copyOf(env);
    labels = Map.copyOf(labels);
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("an image needs at least one layer");
    }
  }
}
