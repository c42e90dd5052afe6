package dev.gpudra.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/** Writes the admin kubeconfig: one cluster, one token user, one context. */
final class Kubeconfig {

  private Kubeconfig() {}

  /** The CA goes in inline, so the file works when copied elsewhere (e.g. for kubectl). */
  static void write(Path file, String server, Path caCert, String token) {
    try {
      String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(caCert));
      Files.writeString(
          file,
          """
          apiVersion: v1
          kind: Config
          clusters:
          - name: gpudra-e2e
            cluster:
              server: %s
              certificate-authority-data: %s
          users:
          - name: gpudra-e2e-admin
            user:
              token: %s
          contexts:
          - name: gpudra-e2e
            context:
              cluster: gpudra-e2e
              user: gpudra-e2e-admin
          current-context: gpudra-e2e
          """
              .formatted(server, ca, token));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
