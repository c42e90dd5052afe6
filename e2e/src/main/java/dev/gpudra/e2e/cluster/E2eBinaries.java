package dev.gpudra.e2e.cluster;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The control-plane binaries that {@code e2e/build-k8s.sh} built, at the versions named in {@code
 * e2e/versions.properties}, found in the cache the script fills ({@code ~/.cache/gpudra-e2e/} or
 * {@code $GPUDRA_E2E_CACHE}).
 *
 * @param kubernetesVersion the release tag the Kubernetes binaries were built from
 * @param etcdVersion the etcd release tag
 * @param helmVersion the Helm release tag
 */
public record E2eBinaries(
    String kubernetesVersion,
    String etcdVersion,
    String helmVersion,
    Path kubeApiserver,
    Path kubeControllerManager,
    Path kubeScheduler,
    Path etcd,
    Path helm) {

  /** System property naming {@code versions.properties}; the e2e POM sets it. */
  public static final String VERSIONS_PROPERTY = "gpudra.e2e.versions";

  /** Environment variable that moves the cache, as it does for the build script. */
  public static final String CACHE_ENV = "GPUDRA_E2E_CACHE";

  /**
   * Finds the binaries, or fails naming what is missing and how to build it. Failing (rather than
   * skipping) is deliberate: whoever runs the e2e profile asked for these tests.
   */
  public static E2eBinaries locate() {
    String versionsFile = System.getProperty(VERSIONS_PROPERTY);
    if (versionsFile == null) {
      throw new IllegalStateException(
          "system property " + VERSIONS_PROPERTY + " is not set; run the e2e tests through Maven");
    }
    String cacheEnv = System.getenv(CACHE_ENV);
    Path cache =
        cacheEnv == null || cacheEnv.isBlank()
            ? Path.of(System.getProperty("user.home"), ".cache", "gpudra-e2e")
            : Path.of(cacheEnv);
    return locate(Path.of(versionsFile), cache);
  }

  /** {@link #locate()} with explicit inputs. */
  static E2eBinaries locate(Path versionsFile, Path cache) {
    Properties versions = new Properties();
    try (Reader reader = Files.newBufferedReader(versionsFile)) {
      versions.load(reader);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + versionsFile, e);
    }
    String kubernetes = required(versions, "kubernetes", versionsFile);
    String etcd = required(versions, "etcd", versionsFile);
    String helm = required(versions, "helm", versionsFile);
    Path kube = cache.resolve("kubernetes-" + kubernetes);
    E2eBinaries binaries =
        new E2eBinaries(
            kubernetes,
            etcd,
            helm,
            kube.resolve("kube-apiserver"),
            kube.resolve("kube-controller-manager"),
            kube.resolve("kube-scheduler"),
            cache.resolve("etcd-" + etcd).resolve("etcd"),
            cache.resolve("helm-" + helm).resolve("helm"));
    List<Path> missing = notExecutable(binaries.all());
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "e2e binaries missing: "
              + missing
              + "; run e2e/build-k8s.sh (builds them from the Go module proxy into "
              + cache
              + "; 15-30 min the first time, a no-op afterwards)");
    }
    return binaries;
  }

  /** Those of {@code binaries} that are missing or not executable. */
  public static List<Path> notExecutable(List<Path> binaries) {
    List<Path> missing = new ArrayList<>();
    for (Path binary : binaries) {
      if (!Files.isExecutable(binary)) {
        missing.add(binary);
      }
    }
    return missing;
  }

  /** Every binary, for checks. */
  public List<Path> all() {
    return List.of(kubeApiserver, kubeControllerManager, kubeScheduler, etcd, helm);
  }

  private static String required(Properties versions, String key, Path file) {
    String value = versions.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(file + " names no version for " + key);
    }
    return value.trim();
  }
}
