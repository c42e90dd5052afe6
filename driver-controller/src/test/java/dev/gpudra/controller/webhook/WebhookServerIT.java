package dev.gpudra.controller.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookServerIT {

  private static final String REVIEW =
      """
      {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
       "request":{"uid":"req-1","operation":"CREATE","name":"p",
                  "kind":{"group":"","version":"v1","kind":"Pod"}}}""";

  @TempDir Path dir;
  private ReloadingKeyManager keys;
  private WebhookServer server;

  @BeforeEach
  void start() throws Exception {
    TestCertificates.write(dir, "first", true);
    keys = new ReloadingKeyManager(dir.resolve("tls.crt"), dir.resolve("tls.key"));
    server =
        WebhookServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            keys,
            Map.of(
                "/allow",
                request ->
                    new AdmissionResponseBuilder()
                        .withAllowed(true)
                        .withWarnings("seen " + request.getName())
                        .build(),
                "/broken",
                request -> {
                  throw new IllegalStateException("boom");
                }));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void answersAnAdmissionReviewOverTls12WithTheRequestsUid() throws Exception {
    HttpResponse<String> response = post("TLSv1.2", "/allow");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"uid\":\"req-1\"", "\"allowed\":true", "seen p");
    assertThat(response.sslSession().map(SSLSession::getProtocol)).contains("TLSv1.2");
  }

  @Test
  void prefersTls13WhenTheClientOffersIt() throws Exception {
    HttpResponse<String> response = post("TLS", "/allow");

    assertThat(response.sslSession().map(SSLSession::getProtocol)).contains("TLSv1.3");
  }

  @Test
  void refusesATls11HelloWithAProtocolVersionAlert() throws Exception {
    // A hand-made TLS 1.1 ClientHello, so the JVM's own client limits cannot hide what the server
    // does: it must answer with a fatal protocol_version alert (record 21, level 2, code 70).
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(tls11ClientHello());
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      int contentType = in.readUnsignedByte();
      in.readUnsignedShort(); // record version
      int length = in.readUnsignedShort();
      byte[] body = in.readNBytes(length);

      assertThat(contentType).as("record type (21 = alert)").isEqualTo(21);
      assertThat(body).hasSize(2);
      assertThat(body[0]).as("alert level (2 = fatal)").isEqualTo((byte) 2);
      assertThat(body[1]).as("alert (70 = protocol_version)").isEqualTo((byte) 70);
    }
  }

  @Test
  void aHandlerThatFailsIsAnswered500SoTheFailurePolicyDecides() throws Exception {
    assertThat(post("TLSv1.2", "/broken").statusCode()).isEqualTo(500);
  }

  @Test
  void servesARotatedCertificateWithoutARestart() throws Exception {
    TestCertificates.write(dir, "second", false);

    assertThat(keys.reloadIfChanged()).isTrue();
    assertThat(keys.reloadIfChanged()).as("unchanged files").isFalse();

    try (SSLSocket socket =
        (SSLSocket)
            TestCertificates.trusting(dir.resolve("tls.crt"), "TLS")
                .getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.startHandshake();
      X509Certificate served = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      assertThat(served.getSubjectX500Principal().getName()).isEqualTo("CN=second");
    }
  }

  @Test
  void keepsTheCurrentCertificateWhenARotationLeavesABrokenKey() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("tls.key"), "not a key");

    assertThat(keys.reloadIfChanged()).isFalse();
    assertThat(keys.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=first");
    assertThat(post("TLSv1.2", "/allow").statusCode()).isEqualTo(200);
  }

  private HttpResponse<String> post(String protocol, String path) throws Exception {
    try (HttpClient client =
        HttpClient.newBuilder()
            .sslContext(TestCertificates.trusting(dir.resolve("tls.crt"), protocol))
            .build()) {
      return client.send(
          HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(REVIEW))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  private static byte[] tls11ClientHello() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    java.io.ByteArrayOutputStream hello = new java.io.ByteArrayOutputStream();
    hello.write(0x03);
    hello.write(0x02); // client_version TLS 1.1
    hello.writeBytes(random);
    hello.write(0); // no session id
    hello.writeBytes(new byte[] {0x00, 0x04, (byte) 0xc0, 0x13, 0x00, 0x2f}); // two CBC suites
    hello.writeBytes(new byte[] {0x01, 0x00}); // null compression
    byte[] body = hello.toByteArray();
    java.io.ByteArrayOutputStream record = new java.io.ByteArrayOutputStream();
    record.writeBytes(new byte[] {0x16, 0x03, 0x02});
    int handshakeLength = body.length + 4;
    record.write(handshakeLength >> 8);
    record.write(handshakeLength);
    record.write(0x01); // ClientHello
    record.write(0);
    record.write(body.length >> 8);
    record.write(body.length);
    record.writeBytes(body);
    return record.toByteArray();
  }
}
