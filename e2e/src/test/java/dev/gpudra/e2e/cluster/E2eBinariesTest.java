package dev.gpudra.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class E2eBinariesTest {

  @TempDir Path dir;

  @Test
  void missingBinariesFailWithTheCommandThatBuildsThem() throws IOException {
    Path versions = versions();

    assertThatThrownBy(() -> E2eBinaries.locate(versions, dir.resolve("cache")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("run e2e/build-k8s.sh")
        .hasMessageContaining("kubernetes-v1.99.1/kube-apiserver")
        .hasMessageContaining("etcd-v3.6.99/etcd");
  }

  @Test
  void findsEachBinaryInItsVersionedCacheDirectory() throws IOException {
    Path cache = dir.resolve("cache");
    for (String binary :
        new String[] {
          "kubernetes-v1.99.1/kube-apiserver",
          "kubernetes-v1.99.1/kube-controller-manager",
          "kubernetes-v1.99.1/kube-scheduler",
          "etcd-v3.6.99/etcd",
          "helm-v4.9.9/helm"
        }) {
      executable(cache.resolve(binary));
    }

    E2eBinaries found = E2eBinaries.locate(versions(), cache);

    assertThat(found.kubernetesVersion()).isEqualTo("v1.99.1");
    assertThat(found.kubeScheduler()).isEqualTo(cache.resolve("kubernetes-v1.99.1/kube-scheduler"));
    assertThat(found.etcd()).isEqualTo(cache.resolve("etcd-v3.6.99/etcd"));
    assertThat(found.helm()).isEqualTo(cache.resolve("helm-v4.9.9/helm"));
  }

  @Test
  void aNonExecutableFileDoesNotCountAsBuilt() throws IOException {
    Path cache = dir.resolve("cache");
    Path apiserver = cache.resolve("kubernetes-v1.99.1/kube-apiserver");
    Files.createDirectories(apiserver.getParent());
    Files.writeString(apiserver, "half-written");

    assertThatThrownBy(() -> E2eBinaries.locate(versions(), cache))
        .hasMessageContaining("kubernetes-v1.99.1/kube-apiserver");
  }

  private Path versions() throws IOException {
    return Files.writeString(
        dir.resolve("versions.properties"),
        "# comment\nkubernetes=v1.99.1\netcd=v3.6.99\nhelm=v4.9.9\n");
  }

  private static void executable(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
