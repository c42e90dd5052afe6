package dev.gpudra.controller.webhook;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's serving key, re-read when the Secret's files change: cert-manager and {@code helm
 * upgrade} rotate the certificate in place, and the kubelet swaps the mounted files atomically, so
 * new handshakes pick up the new certificate without a restart. Connections already open keep the
 * key they were made with.
 *
 * <p>Thread-safe: handshakes read the current delegate; {@link #reloadIfChanged} swaps it whole.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {

  private static final Logger LOG = LoggerFactory.getLogger(ReloadingKeyManager.class);

  private final Path certFile;
  private final Path keyFile;
  private final AtomicReference<Loaded> current = new AtomicReference<>();

  private record Loaded(String fingerprint, X509ExtendedKeyManager manager) {}

  /**
   * Loads the key material once.
   *
   * @throws IOException when the files are missing or unreadable: the server cannot start without
   *     them
   */
  public ReloadingKeyManager(Path certFile, Path keyFile) throws IOException {
    this.certFile = certFile;
    this.keyFile = keyFile;
    current.set(load(Files.readAllBytes(certFile), Files.readAllBytes(keyFile)));
  }

  /**
   * Re-reads the files and switches to them if their content changed. A half-written or invalid
   * pair is logged and the previous key kept, so a bad rotation never takes the webhook down.
   *
   * @return whether the key changed
   */
  public boolean reloadIfChanged() {
    try {
      byte[] cert = Files.readAllBytes(certFile);
      byte[] key = Files.readAllBytes(keyFile);
      Loaded before = current.get();
      if (fingerprint(cert, key).equals(before.fingerprint())) {
        return false;
      }
      current.set(load(cert, key));
      LOG.info("Reloaded the webhook serving certificate from {}", certFile);
      return true;
    } catch (IOException e) {
      LOG.warn("Keeping the current webhook certificate: {}", e.getMessage());
      return false;
    }
  }

  /** The leaf certificate now served. */
  public X509Certificate certificate() {
    return current.get().manager().getCertificateChain(Alias.NAME)[0];
  }

  private Loaded load(byte[] cert, byte[] key) throws IOException {
    PemKeyMaterial material =
        PemKeyMaterial.parse(
            new String(cert, StandardCharsets.US_ASCII),
            new String(key, StandardCharsets.US_ASCII),
            certFile.toString(),
            keyFile.toString());
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] none = new char[0];
      store.setKeyEntry(
          Alias.NAME, material.key(), none, material.chain().toArray(Certificate[]::new));
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, none);
      for (KeyManager m : factory.getKeyManagers()) {
        if (m instanceof X509ExtendedKeyManager x509) {
          return new Loaded(fingerprint(cert, key), x509);
        }
      }
      throw new IOException("no X.509 key manager available");
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build a key store from " + certFile + ": " + e.getMessage(), e);
    }
  }

  private static String fingerprint(byte[] cert, byte[] key) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(cert);
      digest.update((byte) 0);
      digest.update(key);
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private static final class Alias {
    static final String NAME = "webhook";
  }

  private X509ExtendedKeyManager delegate() {
    return current.get().manager();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return delegate().getClientAliases(keyType, issuers);
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return delegate().chooseClientAlias(keyType, issuers, socket);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return delegate().getServerAliases(keyType, issuers);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return delegate().chooseServerAlias(keyType, issuers, socket);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return delegate().chooseEngineServerAlias(keyType, issuers, engine);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return delegate().getCertificateChain(alias);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return delegate().getPrivateKey(alias);
  }
}
