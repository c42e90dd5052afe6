import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The smallest Kubernetes API server the image's AOT training runs need (train-aot.sh runs this
 * file with the build's JDK, as a source-file program): every list is empty or holds the objects
 * of a small cluster given to it, every watch stays open without events, a create or an update
 * answers the object it was sent, a get of one object is not found, a delete succeeds. That takes
 * the kubelet plugin through its informers and its slice publishing to its gRPC servers, and the
 * controller through its informers' sync and, given a cluster with pending claims, its
 * explanations and the pre-bound allocator, as against a real cluster. It listens on loopback,
 * over TLS when given a key store, as a real API server does (the programs then also load and link
 * their TLS handshake, certificate checks and token authentication in training), and stops when its
 * standard input closes.
 *
 * <p>usage: java TrainingApiServer.java PORT_FILE [CLUSTER_DIR|-] [KEY_STORE]
 *
 * <ul>
 *   <li>PORT_FILE: the port it listens on is written there; every write it answers is appended to
 *       PORT_FILE.writes as a line "METHOD PATH", which tells the training how far a program got;
 *   <li>CLUSTER_DIR: RESOURCE.json files (resourceslices.json, pods.json, ...), each a JSON array
 *       of the objects a list of that resource returns, in any namespace asked for.
 * </ul>
 */
public final class TrainingApiServer {

  private static Path clusterDir;
  private static Path writes;

  private TrainingApiServer() {}

  public static void main(String[] args) throws IOException, GeneralSecurityException {
    clusterDir = args.length > 1 && !"-".equals(args[1]) ? Path.of(args[1]) : null;
    writes = Path.of(args[0] + ".writes");
    Files.writeString(writes, "");
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    HttpServer server;
    if (args.length > 2) {
      HttpsServer https = HttpsServer.create(loopback, 64);
      https.setHttpsConfigurator(new HttpsConfigurator(tls(Path.of(args[2]))));
      server = https;
    } else {
      server = HttpServer.create(loopback, 64);
    }
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", TrainingApiServer::answer);
    server.start();
    Files.writeString(Path.of(args[0]), Integer.toString(server.getAddress().getPort()));
    while (System.in.read() >= 0) {
      // until the script closes standard input
    }
    server.stop(0);
    System.exit(0);
  }

  private static SSLContext tls(Path keyStore) throws IOException, GeneralSecurityException {
    char[] password = "training".toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      keys.load(in, password);
    }
    KeyManagerFactory managers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    managers.init(keys, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(managers.getKeyManagers(), null, null);
    return context;
  }

  private static void answer(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    String query = String.valueOf(exchange.getRequestURI().getQuery());
    String[] parts = path.replaceAll("/+$", "").split("/");
    String last = parts[parts.length - 1];
    // A collection's path ends with its plural resource name: .../resourceslices or
    // .../namespaces/NS/leases; one object's with its name after the resource.
    boolean collection = isCollection(parts);
    byte[] body = exchange.getRequestBody().readAllBytes();
    switch (method) {
      case "GET" -> {
        if ("websocket".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Upgrade"))) {
          // The client tries a WebSocket first and falls back to a plain HTTP watch on 503.
          send(exchange, 503, status(503, "ServiceUnavailable"));
        } else if (query.contains("watch=true")) {
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, 0);
          // One bookmark, which the client takes as the watch being established; then the watch
          // stays open without events until the client or the server goes.
          OutputStream events = exchange.getResponseBody();
          events.write(
              ("{\"type\":\"BOOKMARK\",\"object\":{\"apiVersion\":\""
                      + apiVersion(parts)
                      + "\",\"kind\":\""
                      + kind(last)
                      + "\",\"metadata\":{\"resourceVersion\":\"1\"}}}\n")
                  .getBytes(StandardCharsets.UTF_8));
          events.flush();
          try {
            Thread.sleep(Long.MAX_VALUE);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        } else if (collection) {
          send(exchange, 200, list(parts, last));
        } else if (path.equals("/version")) {
          send(exchange, 200, "{\"major\":\"1\",\"minor\":\"37\",\"gitVersion\":\"v1.37.0\"}");
        } else {
          send(exchange, 404, status(404, "NotFound"));
        }
      }
      case "POST", "PUT", "PATCH" -> {
        written(method, path);
        send(exchange, "POST".equals(method) ? 201 : 200, new String(body, StandardCharsets.UTF_8));
      }
      case "DELETE" -> {
        written(method, path);
        send(exchange, 200, status(200, "Success"));
      }
      default -> send(exchange, 405, status(405, "MethodNotAllowed"));
    }
  }

  private static boolean isCollection(String[] parts) {
    // /api/v1/RESOURCE, /api/v1/namespaces/NS/RESOURCE, /apis/GROUP/VERSION/RESOURCE,
    // /apis/GROUP/VERSION/namespaces/NS/RESOURCE
    int base = parts.length > 1 && "api".equals(parts[1]) ? 3 : 4;
    int rest = parts.length - base;
    if (rest >= 2 && "namespaces".equals(parts[base])) {
      rest -= 2;
    }
    return rest == 1;
  }

  private static synchronized void written(String method, String path) throws IOException {
    Files.writeString(
        writes, method + " " + path + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private static String list(String[] parts, String resource) throws IOException {
    Path items = clusterDir == null ? null : clusterDir.resolve(resource + ".json");
    return "{\"apiVersion\":\""
        + apiVersion(parts)
        + "\",\"kind\":\""
        + kind(resource)
        + "List\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":"
        + (items != null && Files.isRegularFile(items) ? Files.readString(items).strip() : "[]")
        + "}";
  }

  private static String apiVersion(String[] parts) {
    return "api".equals(parts[1]) ? parts[2] : parts[2] + "/" + parts[3];
  }

  /** The kind of the resources the programs list and watch. */
  private static String kind(String resource) {
    return switch (resource) {
      case "resourceslices" -> "ResourceSlice";
      case "resourceclaims" -> "ResourceClaim";
      case "deviceclasses" -> "DeviceClass";
      case "pods" -> "Pod";
      case "nodes" -> "Node";
      case "leases" -> "Lease";
      case "events" -> "Event";
      default -> "";
    };
  }

  private static String status(int code, String reason) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\""
        + (code < 300 ? "Success" : "Failure")
        + "\",\"reason\":\""
        + reason
        + "\",\"code\":"
        + code
        + "}";
  }

  private static void send(HttpExchange exchange, int code, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
