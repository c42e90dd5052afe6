package dev.gpudra.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness itself, on a control plane of its own (not the shared one): it runs the binaries'
 * version, authenticates, and leaves nothing running or on tmpfs when closed.
 */
class ControlPlaneLifecycleIT {

  @TempDir Path work;

  @Test
  void startsTheBuiltVersionRequiresTheTokenAndStopsExactlyItsOwnProcesses() throws Exception {
    E2eBinaries binaries = E2eBinaries.locate();
    List<ProcessHandle> processes;
    Path etcdData;
    try (ControlPlane plane = ControlPlane.start(binaries, work)) {
      processes =
          plane.components().stream().map(c -> ProcessHandle.of(c.pid()).orElseThrow()).toList();
      etcdData = plane.etcdDataDir();

      assertThat(plane.components())
          .extracting(ComponentProcess::name)
          .containsExactly("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");
      assertThat(plane.binaryVersion()).isEqualTo("Kubernetes " + binaries.kubernetesVersion());
      assertThat(plane.client().getKubernetesVersion().getGitVersion())
          .isEqualTo(binaries.kubernetesVersion());
      plane
          .client()
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("lifecycle").endMetadata().build())
          .create();
      assertThat(anonymousCanListNamespaces(plane)).isFalse();
      assertThat(Files.isDirectory(etcdData)).isTrue();
    }

    assertThat(processes).noneMatch(ProcessHandle::isAlive);
    assertThat(etcdData).doesNotExist();
    assertThat(work.resolve("logs/kube-apiserver.log")).isNotEmptyFile();
  }

  /** The same server and CA, but no token: must be refused. */
  private static boolean anonymousCanListNamespaces(ControlPlane plane) throws Exception {
    Config admin = Config.fromKubeconfig(Files.readString(plane.kubeconfig()));
    Config anonymous =
        new ConfigBuilder(admin).withOauthToken(null).withAutoOAuthToken(null).build();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(anonymous).build()) {
      client.namespaces().list();
      return true;
    } catch (KubernetesClientException e) {
      assertThat(e.getCode()).isIn(401, 403);
      return false;
    }
  }
}
