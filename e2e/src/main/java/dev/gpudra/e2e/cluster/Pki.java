package dev.gpudra.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A throwaway PKI for one control plane, made with openssl: a CA, one serving certificate for
 * 127.0.0.1 (the API server, scheduler and controller manager all serve with it, so one trust root
 * covers every health check), the service-account signing key pair, and a random admin token.
 *
 * @param caCert CA certificate (PEM); clients trust it
 * @param servingCert serving certificate for {@code 127.0.0.1}/{@code localhost}
 * @param servingKey its key
 * @param serviceAccountKey private key that signs service-account tokens
 * @param serviceAccountPub its public key, which verifies them
 * @param tokenFile static token file: the admin token in group {@code system:masters}
 * @param adminToken the admin's bearer token
 */
public record Pki(
    Path caCert,
    Path servingCert,
    Path servingKey,
    Path serviceAccountKey,
    Path serviceAccountPub,
    Path tokenFile,
    String adminToken) {

  private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(60);

  /** Creates the PKI in {@code dir}. */
  public static Pki create(Path dir) {
    try {
      Files.createDirectories(dir);
      Path caKey = dir.resolve("ca.key");
      Path caCert = dir.resolve("ca.crt");
      openssl(
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "2",
          "-subj",
          "/CN=gpudra-e2e-ca",
          "-keyout",
          caKey.toString(),
          "-out",
          caCert.toString());

      Path servingKey = dir.resolve("serving.key");
      Path csr = dir.resolve("serving.csr");
      openssl(
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-subj",
          "/CN=gpudra-e2e-control-plane",
          "-keyout",
          servingKey.toString(),
          "-out",
          csr.toString());
      Path extensions = dir.resolve("serving.ext");
      // 10.0.0.1 is the kubernetes Service's ClusterIP in the service range the API server gets.
      Files.writeString(
          extensions,
          """
          subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
          keyUsage=critical,digitalSignature,keyEncipherment
          extendedKeyUsage=serverAuth
          """);
      Path servingCert = dir.resolve("serving.crt");
      openssl(
          "x509",
          "-req",
          "-in",
          csr.toString(),
          "-CA",
          caCert.toString(),
          "-CAkey",
          caKey.toString(),
          "-CAcreateserial",
          "-days",
          "2",
          "-extfile",
          extensions.toString(),
          "-out",
          servingCert.toString());

      Path saKey = dir.resolve("service-account.key");
      Path saPub = dir.resolve("service-account.pub");
      openssl("genrsa", "-out", saKey.toString(), "2048");
      openssl("rsa", "-in", saKey.toString(), "-pubout", "-out", saPub.toString());

      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String token = HexFormat.of().formatHex(random);
      Path tokens = dir.resolve("tokens.csv");
      Files.writeString(tokens, token + ",gpudra-e2e-admin,gpudra-e2e-admin,system:masters\n");
      return new Pki(caCert, servingCert, servingKey, saKey, saPub, tokens, token);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the e2e PKI in " + dir, e);
    }
  }

  @Override
  public String toString() {
    // Keeps the token out of test reports.
    return "Pki[ca=" + caCert + "]";
  }

  private static void openssl(String... args) {
    String[] command = new String[args.length + 1];
    command[0] = "openssl";
    System.arraycopy(args, 0, command, 1, args.length);
    Command.check(OPENSSL_TIMEOUT, command);
  }
}
