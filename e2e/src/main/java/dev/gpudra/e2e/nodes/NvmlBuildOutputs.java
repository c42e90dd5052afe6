package dev.gpudra.e2e.nodes;

import dev.gpudra.e2e.cluster.E2eBinaries;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The two build outputs of module nvml-jna the harness runs but cannot take from its class path:
 * the mock NVML library (with its profiles) and the runnable discovery jar.
 *
 * <p>Stopgap, and the only place in the harness that reaches into another module's {@code target/}:
 * once the test kit ships the mock library as a class-path resource and discovery runs in a child
 * JVM on the class path, both lookups go and this class with them. The repository root is found
 * from {@code e2e/versions.properties} (system property {@value E2eBinaries#VERSIONS_PROPERTY}),
 * which every run of the harness names.
 */
public final class NvmlBuildOutputs {

  /**
   * The property through which the plugin's fake-node files ({@code FakeNode}) find the mock
   * library; {@link #mockNvmlDir()} sets it for this JVM.
   */
  static final String MOCK_DIR_PROPERTY = "gpudra.mockNvml.dir";

  private NvmlBuildOutputs() {}

  /**
   * {@code nvml-jna/target/mock-nvml}: {@code libnvidia-ml.so.1} and {@code profiles/}. Also
   * exported as the system property the fake-node files read, so that the plugins this JVM starts
   * load the same library.
   */
  public static synchronized Path mockNvmlDir() {
    Path dir = existing(repositoryRoot().resolve("nvml-jna/target/mock-nvml"), "mock-nvml");
    System.setProperty(MOCK_DIR_PROPERTY, dir.toString());
    return dir;
  }

  /** {@code nvml-jna/target/gpudra-nvml.jar}, the admin's discovery command. */
  public static Path discoveryJar() {
    return existing(repositoryRoot().resolve("nvml-jna/target/gpudra-nvml.jar"), "gpudra-nvml.jar");
  }

  private static Path repositoryRoot() {
    String versions = System.getProperty(E2eBinaries.VERSIONS_PROPERTY);
    if (versions == null) {
      throw new IllegalStateException(
          "system property " + E2eBinaries.VERSIONS_PROPERTY + " is not set");
    }
    // <root>/e2e/versions.properties
    return Path.of(versions).toAbsolutePath().normalize().getParent().getParent();
  }

  private static Path existing(Path path, String what) {
    if (!Files.exists(path)) {
      throw new IllegalStateException(
          what + " not found at " + path + "; build nvml-jna first (./mvnw package -pl e2e -am)");
    }
    return path;
  }
}
