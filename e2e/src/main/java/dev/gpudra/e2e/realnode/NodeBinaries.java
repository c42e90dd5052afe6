package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.E2eBinaries;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * The programs a real node runs, found where {@code e2e/build-k8s.sh} (the kubelet, next to the
 * control plane's binaries) and {@code e2e/fetch-node-packages.sh} (containerd, runc, the CNI
 * plugins and busybox, extracted from pinned Debian packages) cache them. The versions come from
 * the same {@code versions.properties} as the control plane's, so the harness and the scripts agree
 * on the cache directories.
 *
 * @param kubelet the kubelet, built from the same Kubernetes release as the control plane
 * @param containerd containerd; its shim {@code containerd-shim-runc-v2} lies next to it
 * @param ctr containerd's client, for importing the offline images
 * @param runc the OCI runtime containerd's runc shim runs
 * @param cniBinDir directory of the CNI plugins ({@code bridge}, {@code host-local}, {@code
 *     loopback})
 * @param busybox a static busybox, the whole root file system of the offline images
 */
public record NodeBinaries(
    Path kubelet, Path containerd, Path ctr, Path runc, Path cniBinDir, Path busybox) {

  /** Finds the binaries, failing with the script that provides whichever is missing. */
  public static NodeBinaries locate() {
    E2eBinaries control = E2eBinaries.locate();
    Path cache = control.kubeApiserver().getParent().getParent();
    Properties versions = new Properties();
    Path file = Path.of(System.getProperty(E2eBinaries.VERSIONS_PROPERTY));
    try (Reader reader = Files.newBufferedReader(file)) {
      versions.load(reader);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
    Path containerd = packageDir(cache, "containerd", versions, "node_containerd");
    NodeBinaries binaries =
        new NodeBinaries(
            control.kubeApiserver().resolveSibling("kubelet"),
            containerd.resolve("usr/bin/containerd"),
            containerd.resolve("usr/bin/ctr"),
            packageDir(cache, "runc", versions, "node_runc").resolve("usr/sbin/runc"),
            packageDir(cache, "containernetworking-plugins", versions, "node_cni")
                .resolve("usr/lib/cni"),
            packageDir(cache, "busybox-static", versions, "node_busybox").resolve("bin/busybox"));
    List<Path> missing = E2eBinaries.notExecutable(binaries.all());
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "real-node binaries missing: "
              + missing
              + "; run e2e/build-k8s.sh (the kubelet) and e2e/fetch-node-packages.sh (containerd,"
              + " runc, CNI plugins, busybox); both are no-ops once their results are cached");
    }
    return binaries;
  }

  /** Every program, for checks. */
  public List<Path> all() {
    return List.of(
        kubelet,
        containerd,
        ctr,
        runc,
        cniBinDir.resolve("bridge"),
        cniBinDir.resolve("host-local"),
        cniBinDir.resolve("loopback"),
        busybox);
  }

  /**
   * One line naming the versions the binaries report about themselves, for the test output: what
   * ran is what the binaries say, not what a file claims.
   */
  public String versions() {
    return firstLine(kubelet, "--version")
        + ", "
        + firstLine(containerd, "--version")
        + ", "
        + firstLine(runc, "--version");
  }

  private static String firstLine(Path binary, String flag) {
    return Command.check(Duration.ofSeconds(30), binary.toString(), flag)
        .stdout()
        .strip()
        .lines()
        .findFirst()
        .orElse(binary.getFileName() + " (no version)");
  }

  /** The directory fetch-node-packages.sh extracts a package into (':' and '~' become '_'). */
  private static Path packageDir(Path cache, String name, Properties versions, String key) {
    String version = versions.getProperty(key);
    if (version == null || version.isBlank()) {
      throw new IllegalStateException("versions.properties names no version for " + key);
    }
    return cache.resolve("node-" + name + "-" + version.trim().replaceAll("[:~]", "_"));
  }
}
