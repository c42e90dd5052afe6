package dev.gpudra.controller.webhook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Self-signed serving certificates for 127.0.0.1, made with openssl as the e2e PKI makes them. */
final class TestCertificates {

  private TestCertificates() {}

  /**
   * Writes {@code tls.crt} and {@code tls.key} (RSA; PKCS#1 when {@code pkcs1}, else PKCS#8) into
   * {@code dir} with common name {@code cn}, replacing files already there.
   */
  static void write(Path dir, String cn, boolean pkcs1) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path key = dir.resolve("tls.key");
    Path cert = dir.resolve("tls.crt");
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=" + cn,
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString());
    if (pkcs1) {
      run("openssl", "rsa", "-traditional", "-in", key.toString(), "-out", key.toString());
    }
  }

  /** A client context that trusts exactly the certificate in {@code certFile}. */
  static SSLContext trusting(Path certFile, String protocol) throws Exception {
    X509Certificate cert;
    try (var in = Files.newInputStream(certFile)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("webhook", cert);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance(protocol);
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
  }
}
