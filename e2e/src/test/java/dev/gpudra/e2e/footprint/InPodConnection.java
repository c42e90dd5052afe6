package dev.gpudra.e2e.footprint;

import dev.gpudra.e2e.cluster.ControlPlane;
import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * How a benchmarked program reaches the API server: its address, a token and a CA file in the
 * environment, instead of the kubeconfig file other e2e processes get. In its pod each program
 * connects with its service account's token and CA file and never reads YAML; reading a kubeconfig
 * also makes the Kubernetes client load every model class on the class path (about 1,100 classes,
 * and the YAML parser), which a program in its pod never does.
 */
final class InPodConnection {

  private InPodConnection() {}

  /** The environment for {@code plane}'s admin credentials; writes the CA into its work dir. */
  static Map<String, String> env(ControlPlane plane) throws IOException {
    Config config = plane.client().getConfiguration();
    Path ca = plane.workDir().resolve("in-pod-ca.crt");
    if (config.getCaCertData() != null) {
      Files.write(ca, Base64.getDecoder().decode(config.getCaCertData()));
    } else {
      ca = Path.of(config.getCaCertFile());
    }
    return Map.of(
        "KUBERNETES_AUTH_TRYKUBECONFIG",
        "false",
        "KUBERNETES_AUTH_TRYSERVICEACCOUNT",
        "false",
        "KUBERNETES_MASTER",
        config.getMasterUrl(),
        "KUBERNETES_AUTH_TOKEN",
        config.getOauthToken() != null ? config.getOauthToken() : config.getAutoOAuthToken(),
        "KUBERNETES_CERTS_CA_FILE",
        ca.toString());
  }
}
