package dev.gpudra.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The archive the build wrote (target/gpudra-image.tar), as a container runtime and a user of the
 * chart meet it: an OCI layout whose index names the chart's default image, whose blobs match their
 * digests, whose config runs as nonroot with java on the PATH and no entrypoint (the chart gives
 * each program's command), and whose file system, unpacked layer by layer and entered with chroot
 * as the image's user, runs java, the CLI and NVML discovery on the mock library it carries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageArchiveIT {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir static Path work;
  private Path layout;
  private JsonNode index;
  private JsonNode manifest;
  private JsonNode config;

  @BeforeAll
  void openArchive() throws IOException, InterruptedException {
    Path archive = Path.of(System.getProperty("gpudra.image.archive"));
    layout = Files.createDirectories(work.resolve("layout"));
    run(List.of("tar", "-xf", archive.toString(), "-C", layout.toString()));
    index = JSON.readTree(Files.readString(layout.resolve("index.json")));
    manifest = JSON.readTree(blob(index.get("manifests").get(0).get("digest").stringValue()));
    config = JSON.readTree(blob(manifest.get("config").get("digest").stringValue()));
  }

  private Path blobPath(String digest) {
    return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  private byte[] blob(String digest) throws IOException {
    return Files.readAllBytes(blobPath(digest));
  }

  @Test
  void indexNamesTheImageTheChartRunsByDefault() throws IOException {
    Path chart = Path.of(System.getProperty("gpudra.chart.dir"));
    String repository =
        first(
            Files.readString(chart.resolve("values.yaml")),
            "(?m)^image:\\n(?:\\s*#.*\\n)*\\s+repository: (\\S+)");
    String appVersion =
        first(Files.readString(chart.resolve("Chart.yaml")), "(?m)^appVersion: \"?([^\"\\s]+)\"?");

    JsonNode annotations = index.get("manifests").get(0).get("annotations");

    assertThat(repository + ":" + appVersion)
        .isEqualTo(System.getProperty("gpudra.image.reference"));
    assertThat(annotations.get("io.containerd.image.name").stringValue())
        .isEqualTo("docker.io/" + repository + ":" + appVersion);
    assertThat(annotations.get("org.opencontainers.image.ref.name").stringValue())
        .isEqualTo(appVersion);
    assertThat(Files.readString(layout.resolve("oci-layout"))).contains("\"1.0.0\"");
  }

  @Test
  void everyBlobHasTheDigestAndSizeItIsReferencedBy() throws Exception {
    List<JsonNode> descriptors = new ArrayList<>();
    descriptors.add(index.get("manifests").get(0));
    descriptors.add(manifest.get("config"));
    manifest.get("layers").forEach(descriptors::add);

    for (JsonNode d : descriptors) {
      byte[] bytes = blob(d.get("digest").stringValue());
      assertThat(bytes.length).isEqualTo(d.get("size").asLong());
      assertThat(sha256(bytes)).isEqualTo(d.get("digest").stringValue());
    }
    List<String> diffIds = new ArrayList<>();
    config.get("rootfs").get("diff_ids").forEach(id -> diffIds.add(id.stringValue()));
    List<String> layerDigests = new ArrayList<>();
    manifest.get("layers").forEach(l -> layerDigests.add(l.get("digest").stringValue()));
    assertThat(diffIds).isEqualTo(layerDigests);
  }

  @Test
  void runsAsNonrootWithJavaOnThePathAndNoEntrypoint() {
    JsonNode run = config.get("config");

    assertThat(run.get("User").stringValue()).isEqualTo(System.getProperty("gpudra.image.user"));
    assertThat(run.has("Entrypoint")).isFalse();
    assertThat(run.has("Cmd")).isFalse();
    assertThat(env(run)).anyMatch(e -> e.startsWith("PATH=/opt/java/openjdk/bin:"));
    assertThat(config.get("os").stringValue()).isEqualTo("linux");
    assertThat(config.get("architecture").stringValue()).isEqualTo("amd64");
  }

  @Test
  void holdsTheThreeProgramsAndTheMockLibraryButNoTestJars() throws Exception {
    Path rootfs = rootfs();

    List<String> jars;
    try (Stream<Path> files = Files.list(rootfs.resolve("app/lib"))) {
      jars = files.map(p -> p.getFileName().toString()).sorted().toList();
    }

    assertThat(jars)
        .anyMatch(j -> j.startsWith("gpudra-kubelet-plugin-"))
        .anyMatch(j -> j.startsWith("gpudra-driver-controller-"))
        .anyMatch(j -> j.startsWith("gpudra-cli-"))
        .noneMatch(j -> j.startsWith("gpudra-testkit") || j.startsWith("gpudra-image"))
        .noneMatch(j -> j.startsWith("junit") || j.startsWith("assertj"));
    assertThat(rootfs.resolve("app/mock-nvml/libnvidia-ml.so.1")).isRegularFile();
    assertThat(rootfs.resolve("app/mock-nvml/profiles/a100-8x.profile")).isRegularFile();
    assertThat(Files.isExecutable(rootfs.resolve("usr/local/bin/gpudra"))).isTrue();
  }

  @Test
  void theImagesUserRunsJavaTheCliAndDiscoveryOnTheMockLibrary() throws Exception {
    assumeTrue(isRoot(), "chroot needs root");
    Path rootfs = rootfs();
    String user = System.getProperty("gpudra.image.user");

    String version = inImage(rootfs, user, List.of(), "java -version");
    String help = inImage(rootfs, user, List.of(), "gpudra --help");
    String discover =
        inImage(
            rootfs,
            user,
            List.of(
                "GPUDRA_NVML_LIBRARY=/app/mock-nvml/libnvidia-ml.so.1",
                "GPUDRA_MOCK_NVML_PROFILE=l4-1x",
                "GPUDRA_MOCK_NVML_STATE=/tmp/l4-1x.state"),
            "gpudra discover -o table && gpudra discover -o json");
    String plugin =
        inImage(
            rootfs,
            "0:0",
            List.of(),
            "java --enable-native-access=ALL-UNNAMED @/app/classpath.args dev.gpudra.plugin.Main;"
                + " echo exit=$?");

    assertThat(version).contains("openjdk version");
    assertThat(help).contains("Usage: gpudra").contains("discover");
    assertThat(discover).contains("NVIDIA L4").contains("550.54.15").contains("\"uuid\"");
    // The plugin's classes all load; it stops at its configuration, as it must without a node.
    assertThat(plugin)
        .contains("invalid configuration: NODE_NAME")
        .doesNotContain("NoClassDefFoundError")
        .doesNotContain("exit=0");
  }

  @Test
  void eachProgramStartsFromItsAheadOfTimeCacheWithTheChartsOptions() throws Exception {
    assumeTrue(isRoot(), "chroot needs root");
    Path rootfs = rootfs();
    String values =
        Files.readString(Path.of(System.getProperty("gpudra.chart.dir")).resolve("values.yaml"));
    List<String> pluginOptions = jvmOptions(values, "kubeletPlugin");
    List<String> controllerOptions = jvmOptions(values, "controller");
    assertThat(pluginOptions).contains("-XX:AOTCache=/app/aot/kubelet-plugin.aot");
    assertThat(controllerOptions).contains("-XX:AOTCache=/app/aot/driver-controller.aot");
    // Each program as the chart runs it: its options as JDK_JAVA_OPTIONS, the image's class path
    // file. -XX:AOTMode=on makes a cache the JVM cannot use (another runtime, another class path,
    // other jars, options the cache does not allow) fail the start instead of being skipped, as
    // the chart's default mode (auto) does.
    String plugin =
        inImage(
            rootfs,
            "0:0",
            List.of(javaOptions(pluginOptions)),
            "java --enable-native-access=ALL-UNNAMED @/app/classpath.args"
                + " dev.gpudra.plugin.Main; echo exit=$?");
    String controller =
        inImage(
            rootfs,
            System.getProperty("gpudra.image.user"),
            List.of("GPUDRA_METRICS_PORT=none", javaOptions(controllerOptions)),
            "java @/app/classpath.args dev.gpudra.controller.Main; echo exit=$?");

    // Both ran from their caches up to their configuration check.
    assertThat(plugin).contains("invalid configuration: NODE_NAME").doesNotContain("AOT cache");
    assertThat(controller).contains("GPUDRA_METRICS_PORT").doesNotContain("AOT cache");
    assertThat(values).contains("@/app/classpath.args");
  }

  /** {@code JDK_JAVA_OPTIONS} with {@code options} and the AOT cache required. */
  private static String javaOptions(List<String> options) {
    return "JDK_JAVA_OPTIONS=" + String.join(" ", options) + " -XX:AOTMode=on";
  }

  /**
   * The items of {@code <program>.jvmOptions} in the chart's values: the list lines (indented by
   * four spaces, then a dash) under the first {@code jvmOptions:} of the program's top-level block.
   */
  private static List<String> jvmOptions(String values, String program) {
    int block = values.indexOf("\n" + program + ":\n");
    assertThat(block).as("top-level %s: in values.yaml", program).isNotNegative();
    int list = values.indexOf("\n  jvmOptions:\n", block);
    assertThat(list).as("%s.jvmOptions in values.yaml", program).isNotNegative();
    List<String> options = new ArrayList<>();
    for (String line : values.substring(list + "\n  jvmOptions:\n".length()).split("\n")) {
      if (!line.startsWith("    - ")) {
        break;
      }
      options.add(line.substring("    - ".length()).strip());
    }
    assertThat(options).as("%s.jvmOptions", program).isNotEmpty();
    return options;
  }

  @Test
  void theSameInputsCopiedElsewhereGiveTheSameArchiveByteForByte() throws Exception {
    Path archive = Path.of(System.getProperty("gpudra.image.archive"));
    List<ImageSpec.Layer> layers = new ArrayList<>();
    for (String layer : System.getProperty("gpudra.image.layers").split(";")) {
      String[] nameAndRoots = layer.split("=", 2);
      List<Path> copies = new ArrayList<>();
      for (String source : nameAndRoots[1].split(",")) {
        Path copy = work.resolve("copy").resolve(nameAndRoots[0] + copies.size());
        copyTree(Path.of(source).toRealPath(), copy);
        copies.add(copy);
      }
      layers.add(new ImageSpec.Layer(nameAndRoots[0], copies));
    }
    JsonNode run = config.get("config");
    Map<String, String> labels = new TreeMap<>();
    run.get("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().stringValue()));
    ImageSpec spec =
        new ImageSpec(
            ImageReference.parse(System.getProperty("gpudra.image.reference")),
            run.get("User").stringValue(),
            env(run),
            labels,
            layers);

    OciArchiveWriter.Result again =
        OciArchiveWriter.write(spec, work.resolve("again.tar"), work.resolve("scratch"));

    assertThat(again.manifestDigest())
        .isEqualTo(index.get("manifests").get(0).get("digest").stringValue());
    assertThat(Files.mismatch(again.archive(), archive)).isEqualTo(-1L);
  }

  /** Copies without keeping times or owners: a fresh checkout and build on another machine. */
  private static void copyTree(Path source, Path target) throws IOException {
    try (Stream<Path> walk = Files.walk(source)) {
      for (Path p : walk.toList()) {
        Path to = target.resolve(source.relativize(p).toString());
        if (Files.isSymbolicLink(p)) {
          Files.createSymbolicLink(to, Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          Files.createDirectories(to);
          // Keeps the sticky bit (/tmp), which a permission set cannot express.
          Files.setAttribute(to, "unix:mode", Files.getAttribute(p, "unix:mode"));
        } else {
          Files.copy(p, to);
        }
      }
    }
  }

  /** The image's file system: every layer unpacked in order, as a runtime's snapshotter does. */
  private Path rootfs() throws IOException, InterruptedException {
    Path rootfs = work.resolve("rootfs");
    if (!Files.isDirectory(rootfs)) {
      Path partial = Files.createDirectories(work.resolve("rootfs.partial"));
      for (JsonNode layer : manifest.get("layers")) {
        run(
            List.of(
                "tar",
                "--same-permissions",
                "-xf",
                blobPath(layer.get("digest").stringValue()).toString(),
                "-C",
                partial.toString()));
      }
      Files.move(partial, rootfs);
    }
    return rootfs;
  }

  /**
   * Runs {@code script} with /bin/sh inside {@code rootfs} as {@code user}, with only the image's
   * environment plus {@code extraEnv}, and a /proc of its own (the JVM finds its libraries through
   * /proc/self/exe). Returns stdout and stderr together.
   */
  private String inImage(Path rootfs, String user, List<String> extraEnv, String script)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("env", "-i"));
    command.addAll(env(config.get("config")));
    command.addAll(extraEnv);
    command.addAll(
        List.of(
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc=" + rootfs.resolve("proc"),
            "chroot",
            "--userspec=" + user,
            rootfs.toString(),
            "/bin/sh",
            "-c",
            "cd / && " + script));
    return run(command);
  }

  private static List<String> env(JsonNode runConfig) {
    List<String> env = new ArrayList<>();
    runConfig.get("Env").forEach(e -> env.add(e.stringValue()));
    return env;
  }

  private String run(List<String> command) throws IOException, InterruptedException {
    Path log = Files.createTempFile(work, "run", ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command + "\n" + Files.readString(log));
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError("exit " + p.exitValue() + ": " + command + "\n" + output);
    }
    return output;
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static String first(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("%s in\n%s", regex, text).isTrue();
    return m.group(1);
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
