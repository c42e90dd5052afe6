package dev.gpudra.testkit.kubelet;

import dev.gpudra.proto.registration.v1.InfoRequest;
import dev.gpudra.proto.registration.v1.PluginInfo;
import dev.gpudra.proto.registration.v1.RegistrationGrpc;
import dev.gpudra.proto.registration.v1.RegistrationStatus;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Plays the kubelet's side of the DRA plugin protocol over real unix sockets, for tests.
 *
 * <p>It does what the kubelet's plugin watcher and DRA plugin manager (1.34 to 1.36) do: find
 * registration sockets in the registry directory (unix sockets whose names do not start with a
 * dot), call {@code GetInfo} with a 1 s deadline, check the plugin type, pick the first advertised
 * service it knows (so the plugin's order decides), dial the advertised endpoint and wait for the
 * connection, then report the outcome with {@code NotifyRegistrationStatus} (5 s deadline). A
 * rejected plugin is told why, as the kubelet does.
 *
 * <p>Channels to DRA endpoints stay open until {@link #close()}.
 */
public final class KubeletEmulator implements AutoCloseable {

  /** Plugin type the kubelet's DRA handler accepts. */
  public static final String DRA_PLUGIN_TYPE = "DRAPlugin";

  /** DRA services a 1.34 to 1.36 kubelet can use, in no particular order. */
  public static final List<String> KUBELET_DRA_SERVICES =
      List.of("v1.DRAPlugin", "v1beta1.DRAPlugin");

  static final Duration GET_INFO_DEADLINE = Duration.ofSeconds(1);
  static final Duration NOTIFY_DEADLINE = Duration.ofSeconds(5);
  static final Duration DIAL_TIMEOUT = Duration.ofSeconds(10);

  private final Path registryDir;
  private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

  /**
   * @param registryDir the directory the kubelet watches, {@code plugins_registry}
   */
  public KubeletEmulator(Path registryDir) {
    this.registryDir = registryDir;
  }

  /** Registration sockets present now, sorted by name, as the plugin watcher would pick them up. */
  public List<Path> discoverRegistrationSockets() throws IOException {
    if (!Files.isDirectory(registryDir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(registryDir)) {
      return entries
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(KubeletEmulator::isSocket)
          .sorted()
          .toList();
    }
  }

  /** The kubelet's first call on a newly found registration socket. */
  public PluginInfo getInfo(Path registrationSocket) {
    ManagedChannel channel = dial(registrationSocket);
    try {
      return RegistrationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(GET_INFO_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .getInfo(InfoRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  /** Tells the plugin behind {@code registrationSocket} how its registration went. */
  public void notifyRegistrationStatus(Path registrationSocket, boolean registered, String error) {
    ManagedChannel channel = dial(registrationSocket);
    try {
      var unused =
          RegistrationGrpc.newBlockingStub(channel)
              .withDeadlineAfter(NOTIFY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .notifyRegistrationStatus(
                  RegistrationStatus.newBuilder()
                      .setPluginRegistered(registered)
                      .setError(error)
                      .build());
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Registers the plugin behind {@code registrationSocket}, trying again after a {@code GetInfo}
   * that missed its deadline, as kubelets 1.36+ retry registration with backoff: for scenarios
   * about something else, where a cold plugin JVM on a loaded machine answering late is noise.
   *
   * @param attempts how many times to try, at least 1
   */
  public RegisteredPlugin registerRetrying(Path registrationSocket, int attempts) {
    for (int attempt = 1; ; attempt++) {
      try {
        return register(registrationSocket);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.DEADLINE_EXCEEDED || attempt >= attempts) {
          throw e;
        }
        try {
          Thread.sleep(200L * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * Registers the plugin behind {@code registrationSocket} the way the kubelet does.
   *
   * @throws RegistrationRejectedException after telling the plugin, when the kubelet would reject
   *     it
   */
  public RegisteredPlugin register(Path registrationSocket) {
    PluginInfo info = getInfo(registrationSocket);
    if (!DRA_PLUGIN_TYPE.equals(info.getType())) {
      return reject(registrationSocket, "no handler registered for plugin type: " + info.getType());
    }
    Optional<String> chosen =
        info.getSupportedVersionsList().stream().filter(KUBELET_DRA_SERVICES::contains).findFirst();
    if (chosen.isEmpty()) {
      return reject(
          registrationSocket,
          "RegisterPlugin error -- plugin validation failed with err: none of the versions "
              + info.getSupportedVersionsList()
              + " is supported");
    }
    Path endpoint = info.getEndpoint().isEmpty() ? registrationSocket : Path.of(info.getEndpoint());
    ManagedChannel draChannel = dial(endpoint);
    channels.add(draChannel);
    if (!awaitReady(draChannel, DIAL_TIMEOUT)) {
      return reject(registrationSocket, "cannot connect to DRA endpoint " + endpoint);
    }
    notifyRegistrationStatus(registrationSocket, true, "");
    return new RegisteredPlugin(info, chosen.get(), endpoint, draChannel);
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    channels.clear();
  }

  private RegisteredPlugin reject(Path registrationSocket, String reason) {
    notifyRegistrationStatus(registrationSocket, false, reason);
    throw new RegistrationRejectedException(reason);
  }

  // Like the kubelet's grpc-go client: target "unix:<path>", plaintext.
  private static ManagedChannel dial(Path socket) {
    return Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
  }

  private static boolean awaitReady(ManagedChannel channel, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    ConnectivityState state = channel.getState(true);
    while (state != ConnectivityState.READY) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || state == ConnectivityState.SHUTDOWN) {
        return false;
      }
      CountDownLatch changed = new CountDownLatch(1);
      channel.notifyWhenStateChanged(state, changed::countDown);
      try {
        if (!changed.await(left, TimeUnit.NANOSECONDS)) {
          return false;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      state = channel.getState(true);
    }
    return true;
  }

  private static boolean isSocket(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isOther();
    } catch (IOException e) {
      return false;
    }
  }
}
