package dev.gpudra.plugin.server;

import dev.gpudra.core.config.EnvReader;
import dev.gpudra.core.names.DriverNames;
import dev.gpudra.plugin.EnvPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where the plugin's two unix sockets live and what they are called.
 *
 * <p>The DRA service socket sits in the driver's own plugin directory; the registration socket sits
 * in the directory the kubelet's plugin watcher observes. With a pod UID, both names carry it
 * ({@code dra-<podUID>.sock}, {@code <driver>-<podUID>-reg.sock}) so that an old and a new plugin
 * pod can serve side by side during a rolling update without unlinking each other's sockets.
 * Without one (a plugin run outside a pod) the plain names {@code dra.sock} and {@code
 * <driver>-reg.sock} are used.
 *
 * <p>A unix socket path holds at most {@value #MAX_SOCKET_PATH_BYTES} bytes. When a kubelet root
 * directory is so deep that the full pod UID does not fit (a 36-character UID in a distribution's
 * relocated kubelet directory), the UID is replaced by a short hash of it: {@code
 * <driver>-<hash8>-reg.sock}, then {@code dra-<hash16>-reg.sock}, the same fallbacks the kubelet's
 * own plugin helper uses, and {@code dra-<hash8>.sock} for the DRA socket. The names stay unique
 * per pod and stable across restarts of the same pod.
 *
 * @param driverName DRA driver name; the kubelet looks the plugin up by it
 * @param pluginDir directory of the DRA service socket
 * @param registryDir directory the kubelet watches for registration sockets
 * @param podUid UID of the plugin's pod, from the downward API
 */
public record PluginSockets(
    String driverName, Path pluginDir, Path registryDir, Optional<String> podUid) {

  /** Environment key of {@link #pluginDir()}. */
  public static final String PLUGIN_DIR_KEY = "KUBELET_PLUGIN_DIRECTORY_PATH";

  /** Environment key of {@link #registryDir()}. */
  public static final String REGISTRY_DIR_KEY = "KUBELET_REGISTRAR_DIRECTORY_PATH";

  /** Environment key of {@link #podUid()}; set from {@code metadata.uid} by the downward API. */
  public static final String POD_UID_KEY = "POD_UID";

  /** The kubelet's default directory for the driver's plugin data and DRA socket. */
  public static final Path DEFAULT_PLUGIN_DIR =
      Path.of("/var/lib/kubelet/plugins", DriverNames.DRIVER);

  /** The kubelet's default plugin watcher directory. */
  public static final Path DEFAULT_REGISTRY_DIR = Path.of("/var/lib/kubelet/plugins_registry");

  /** {@code sun_path} holds 108 bytes including the terminating NUL. */
  static final int MAX_SOCKET_PATH_BYTES = 107;

  // Kubernetes UIDs are RFC 4122 strings; anything else must not end up in a file name.
  private static final Pattern POD_UID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,62}");
  private static final Pattern DRIVER = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

  public PluginSockets {
    Objects.requireNonNull(driverName, "driverName");
    Objects.requireNonNull(pluginDir, "pluginDir");
    Objects.requireNonNull(registryDir, "registryDir");
    Objects.requireNonNull(podUid, "podUid");
    if (!DRIVER.matcher(driverName).matches()) {
      throw new IllegalArgumentException("driver name is not a DNS subdomain: " + driverName);
    }
    requireAbsolute(PLUGIN_DIR_KEY, pluginDir);
    requireAbsolute(REGISTRY_DIR_KEY, registryDir);
    podUid.ifPresent(
        uid -> {
          if (!POD_UID.matcher(uid).matches()) {
            throw new IllegalArgumentException(
                POD_UID_KEY + " must be a Kubernetes UID (letters, digits, dashes), got: " + uid);
          }
        });
    pluginDir = pluginDir.normalize();
    registryDir = registryDir.normalize();
    firstFitting(PLUGIN_DIR_KEY, pluginDir, draSocketNames(podUid));
    firstFitting(REGISTRY_DIR_KEY, registryDir, registrationSocketNames(driverName, podUid));
  }

  /**
   * Reads the socket locations from environment-style settings; unset keys take the kubelet's
   * defaults, a blank {@value #POD_UID_KEY} counts as unset.
   *
   * @throws IllegalArgumentException naming the key whose value is unusable
   */
  public static PluginSockets fromEnv(Map<String, String> env) {
    EnvReader reader = new EnvReader(env);
    return new PluginSockets(
        DriverNames.DRIVER,
        reader.value(PLUGIN_DIR_KEY, DEFAULT_PLUGIN_DIR, Path::of, EnvPaths.NOT_A_PATH),
        reader.value(REGISTRY_DIR_KEY, DEFAULT_REGISTRY_DIR, Path::of, EnvPaths.NOT_A_PATH),
        reader.string(POD_UID_KEY));
  }

  /** Socket serving the DRA and health services; advertised to the kubelet by GetInfo. */
  public Path draSocket() {
    return firstFitting(PLUGIN_DIR_KEY, pluginDir, draSocketNames(podUid));
  }

  /** Socket serving plugin registration; its appearance makes the kubelet register us. */
  public Path registrationSocket() {
    return firstFitting(REGISTRY_DIR_KEY, registryDir, registrationSocketNames(driverName, podUid));
  }

  private static List<String> draSocketNames(Optional<String> podUid) {
    return podUid
        .map(uid -> List.of("dra-" + uid + ".sock", "dra-" + hash(uid, 8) + ".sock"))
        .orElse(List.of("dra.sock"));
  }

  // The watcher ignores names starting with a dot; none of these does.
  private static List<String> registrationSocketNames(String driverName, Optional<String> podUid) {
    return podUid
        .map(
            uid ->
                List.of(
                    driverName + "-" + uid + "-reg.sock",
                    driverName + "-" + hash(uid, 8) + "-reg.sock",
                    "dra-" + hash(driverName + "\0" + uid, 16) + "-reg.sock"))
        .orElse(List.of(driverName + "-reg.sock"));
  }

  private static String hash(String text, int length) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, length);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  private static Path firstFitting(String key, Path dir, List<String> names) {
    for (String name : names) {
      Path socket = dir.resolve(name);
      if (socket.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH_BYTES) {
        return socket;
      }
    }
    throw new IllegalArgumentException(
        key
            + " is too long: even "
            + dir.resolve(names.get(names.size() - 1))
            + " exceeds the "
            + MAX_SOCKET_PATH_BYTES
            + " bytes of a unix socket path");
  }

  private static void requireAbsolute(String key, Path dir) {
    if (!dir.isAbsolute()) {
      throw new IllegalArgumentException(key + " must be an absolute path, got: " + dir);
    }
  }
}
