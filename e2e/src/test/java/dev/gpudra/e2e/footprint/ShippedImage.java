package dev.gpudra.e2e.footprint;

import dev.gpudra.testkit.node.PluginProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The programs as the image ships them, taken from the image module's build tree: the image's
 * {@code jlink}ed Java runtime ({@code image/target/image-base/jre/opt/java/openjdk}), its jars
 * ({@code /app/lib}: {@code image-root/libs} and {@code image-root/app}) in the order of {@code
 * /app/classpath.args} (byte order of their names), and its AOT caches ({@code /app/aot}: {@code
 * image-root/aot}), so that the benchmark measures what a node runs and not the e2e tests' class
 * path (test libraries, the mock server) on the build's full JDK.
 *
 * @param javaHome the image's Java runtime
 * @param jars the image's jars, in the image's order
 * @param aotCaches the directory of the image's AOT caches ({@code <program>.aot})
 */
record ShippedImage(Path javaHome, List<Path> jars, Path aotCaches) {

  /**
   * Finds the image's build tree next to {@code imageTar} (the e2e tests' image, {@code
   * image/target/gpudra-image.tar}), failing with what to build when it is not there.
   */
  static ShippedImage locate(Path imageTar) throws IOException {
    Path target = imageTar.toAbsolutePath().getParent();
    Path javaHome = target.resolve("image-base/jre/opt/java/openjdk");
    List<Path> libs =
        List.of(
            target.resolve("image-root/libs/app/lib"), target.resolve("image-root/app/app/lib"));
    Path aot = target.resolve("image-root/aot/app/aot");
    if (!Files.isExecutable(javaHome.resolve("bin/java"))
        || !libs.stream().allMatch(Files::isDirectory)
        || !Files.isDirectory(aot)) {
      throw new IllegalStateException(
          "no image build tree under "
              + target
              + " (runtime, /app/lib and /app/aot); build it with ./mvnw -pl image -am package");
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
    return new ShippedImage(javaHome, jars, aot);
  }

  /** The image's jars where the build left them, as a class path. */
  String classPath() {
    return jars.stream().map(Path::toString).collect(Collectors.joining(":"));
  }

  /**
   * The image's jars copied into {@code dir} with the modification time every file of the image has
   * (0, the epoch), as a class path in the image's order, followed by {@code extra}: the class path
   * the image's AOT caches were trained with (their jars moved together, as in {@code /app/lib}),
   * which a JVM needs to accept them.
   */
  String classPathAsInImage(Path dir, Path... extra) throws IOException {
    Files.createDirectories(dir);
    List<String> entries = new ArrayList<>();
    for (Path jar : jars) {
      Path copy = dir.resolve(jar.getFileName());
      Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(copy, FileTime.fromMillis(0));
      entries.add(copy.toString());
    }
    for (Path p : extra) {
      entries.add(p.toString());
    }
    return String.join(":", entries);
  }

  /**
   * The image's AOT cache of {@code program} ({@code kubelet-plugin}, {@code driver-controller}).
   */
  Path aotCache(String program) {
    return aotCaches.resolve(program + ".aot");
  }

  /** {@code launch} on the image's runtime and class path. */
  PluginProcess.Launch apply(PluginProcess.Launch launch) {
    return launch.withJavaHome(javaHome).withClassPath(classPath());
  }

  /**
   * Writes {@code type} and its nested classes, from the directory they were loaded from, into the
   * jar {@code jar} (a JVM takes an AOT cache only for a class path of jars).
   */
  static Path jarOf(Class<?> type, Path jar) throws IOException {
    Path root;
    try {
      root = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException("where " + type.getName() + " was loaded from", e);
    }
    if (!Files.isDirectory(root)) {
      throw new IOException(type.getName() + " was not loaded from a directory: " + root);
    }
    String dir = type.getPackageName().replace('.', '/');
    String prefix = type.getSimpleName();
    List<Path> classes;
    try (Stream<Path> files = Files.list(root.resolve(dir))) {
      classes =
          files
              .filter(
                  p -> {
                    String name = p.getFileName().toString();
                    return name.equals(prefix + ".class") || name.startsWith(prefix + "$");
                  })
              .sorted()
              .toList();
    }
    Files.createDirectories(jar.getParent());
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream jarOut = new JarOutputStream(out)) {
      for (Path c : classes) {
        JarEntry entry = new JarEntry(dir + "/" + c.getFileName());
        entry.setTime(0);
        jarOut.putNextEntry(entry);
        jarOut.write(Files.readAllBytes(c));
        jarOut.closeEntry();
      }
    }
    Files.setLastModifiedTime(jar, FileTime.fromMillis(0));
    return jar;
  }
}
