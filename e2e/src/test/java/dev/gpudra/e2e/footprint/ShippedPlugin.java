package dev.gpudra.e2e.footprint;

import dev.gpudra.testkit.node.PluginProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The kubelet plugin as the image ships it, taken from the image module's build tree: the image's
 * {@code jlink}ed Java runtime ({@code image/target/image-base/jre/opt/java/openjdk}) and its jars
 * ({@code /app/lib}: {@code image-root/libs} and {@code image-root/app}) in the order of {@code
 * /app/classpath.args} (byte order of their names), so that the benchmark measures the class path a
 * node runs and not the e2e tests' (test libraries, the mock server) on the build's full JDK.
 *
 * @param javaHome the image's Java runtime
 * @param classPath the image's jars, in the image's order
 */
record ShippedPlugin(Path javaHome, String classPath) {

  /**
   * Finds the image's build tree next to {@code imageTar} (the e2e tests' image, {@code
   * image/target/gpudra-image.tar}), failing with what to build when it is not there.
   */
  static ShippedPlugin locate(Path imageTar) throws IOException {
    Path target = imageTar.toAbsolutePath().getParent();
    Path javaHome = target.resolve("image-base/jre/opt/java/openjdk");
    List<Path> libs =
        List.of(
            target.resolve("image-root/libs/app/lib"), target.resolve("image-root/app/app/lib"));
    if (!Files.isExecutable(javaHome.resolve("bin/java"))
        || !libs.stream().allMatch(Files::isDirectory)) {
      throw new IllegalStateException(
          "no image build tree under "
              + target
              + " (runtime and /app/lib); build it with ./mvnw -pl image -am package");
    }
    List<Path> jars;
    try (Stream<Path> first = Files.list(libs.get(0));
        Stream<Path> second = Files.list(libs.get(1))) {
      jars =
          Stream.concat(first, second)
              .filter(p -> p.getFileName().toString().endsWith(".jar"))
              .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
              .toList();
    }
    return new ShippedPlugin(
        javaHome, jars.stream().map(Path::toString).collect(Collectors.joining(":")));
  }

  /** {@code launch} on the image's runtime and class path. */
  PluginProcess.Launch apply(PluginProcess.Launch launch) {
    return launch.withJavaHome(javaHome).withClassPath(classPath);
  }
}
