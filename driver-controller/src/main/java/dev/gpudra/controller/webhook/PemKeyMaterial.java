package dev.gpudra.controller.webhook;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A serving certificate chain and its private key, read from the PEM files of a {@code
 * kubernetes.io/tls} Secret ({@code tls.crt}, {@code tls.key}).
 *
 * <p>Keys come as PKCS#8 ({@code PRIVATE KEY}: RSA or EC) or PKCS#1 ({@code RSA PRIVATE KEY}, what
 * Helm's {@code genSignedCert} and cert-manager's default encoding write); a PKCS#1 key is wrapped
 * into PKCS#8 so that the JDK alone can read it.
 *
 * @param chain the certificates, leaf first
 * @param key the leaf's private key
 */
public record PemKeyMaterial(List<X509Certificate> chain, PrivateKey key) {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  // DER of SEQUENCE { INTEGER 0, SEQUENCE { OID rsaEncryption, NULL } }: the PKCS#8 prefix of an
  // RSA key, before the OCTET STRING that holds the PKCS#1 key.
  private static final byte[] RSA_ALGORITHM =
      HexFormat.of().parseHex("020100300d06092a864886f70d0101010500");

  /** Validates and freezes. */
  public PemKeyMaterial {
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate");
    }
  }

  /**
   * Reads a certificate file and a key file.
   *
   * @throws IOException when either cannot be read or parsed, naming the file
   */
  public static PemKeyMaterial read(Path certFile, Path keyFile) throws IOException {
    return parse(
        Files.readString(certFile, StandardCharsets.US_ASCII),
        Files.readString(keyFile, StandardCharsets.US_ASCII),
        certFile.toString(),
        keyFile.toString());
  }

  /**
   * Parses PEM text.
   *
   * @param certSource names the certificate text in errors
   * @param keySource names the key text in errors
   * @throws IOException when either cannot be parsed
   */
  public static PemKeyMaterial parse(
      String certPem, String keyPem, String certSource, String keySource) throws IOException {
    List<X509Certificate> chain = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Block b : blocks(certPem)) {
        if (b.type().equals("CERTIFICATE")) {
          chain.add(
              (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(certSource + ": not a PEM certificate: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IOException(certSource + ": no CERTIFICATE block");
    }
    List<Block> keys = blocks(keyPem);
    if (keys.isEmpty()) {
      throw new IOException(keySource + ": no PEM block");
    }
    try {
      return new PemKeyMaterial(chain, privateKey(keys.getFirst()));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(keySource + ": unreadable private key: " + e.getMessage(), e);
    }
  }

  /** One PEM block: its type line and decoded content. */
  private static final class Block {
    private final String type;
    private final byte[] der;

    Block(String type, byte[] der) {
      this.type = type;
      this.der = der;
    }

    String type() {
      return type;
    }

    byte[] der() {
      return der.clone();
    }
  }

  private static List<Block> blocks(String text) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
    }
    return blocks;
  }

  private static PrivateKey privateKey(Block block) throws GeneralSecurityException {
    return switch (block.type()) {
      case "RSA PRIVATE KEY" ->
          KeyFactory.getInstance("RSA")
              .generatePrivate(new PKCS8EncodedKeySpec(pkcs8(block.der())));
      case "PRIVATE KEY" -> {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(block.der());
        try {
          yield KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (GeneralSecurityException notRsa) {
          yield KeyFactory.getInstance("EC").generatePrivate(spec);
        }
      }
      default ->
          throw new IllegalArgumentException(
              "unsupported key block " + block.type() + "; use PKCS#8 or an RSA PKCS#1 key");
    };
  }

  /** Wraps a PKCS#1 RSA key into PKCS#8. */
  private static byte[] pkcs8(byte[] pkcs1) {
    byte[] octets = concat(new byte[] {0x04}, derLength(pkcs1.length), pkcs1);
    byte[] body = concat(RSA_ALGORITHM, octets);
    return concat(new byte[] {0x30}, derLength(body.length), body);
  }

  private static byte[] derLength(int length) {
    if (length < 0x80) {
      return new byte[] {(byte) length};
    }
    if (length < 0x100) {
      return new byte[] {(byte) 0x81, (byte) length};
    }
    if (length < 0x10000) {
      return new byte[] {(byte) 0x82, (byte) (length >> 8), (byte) length};
    }
    return new byte[] {(byte) 0x83, (byte) (length >> 16), (byte) (length >> 8), (byte) length};
  }

  private static byte[] concat(byte[]... parts) {
    int size = 0;
    for (byte[] p : parts) {
      size += p.length;
    }
    byte[] out = new byte[size];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
