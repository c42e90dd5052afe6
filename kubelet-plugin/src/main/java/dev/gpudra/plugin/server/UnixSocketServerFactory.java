package dev.gpudra.plugin.server;

import dev.gpudra.runtime.PrivateDirectory;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns gRPC services into a server on a unix domain socket.
 *
 * <p>It owns the Netty epoll event loops shared by all sockets it serves, and it enforces the
 * socket housekeeping the kubelet relies on: a missing directory is created {@code rwxr-x---} at
 * every level it creates, whatever the umask; an existing directory loses any access for others (a
 * hostPath the kubelet created {@code rwxr-xr-x}) and keeps the owner's and group's bits; a stale
 * socket left by a crashed predecessor is removed before binding, the socket is made {@code
 * rw-rw----} (root and the kubelet's group, never everyone), and {@link ServingSocket#close()}
 * removes it again. Since others cannot search the directory, they cannot reach the socket even in
 * the moment between bind (mode from the umask) and the chmod.
 *
 * <p>Thread-safe: sockets may be served from any thread. {@link #close()} stops the event loops and
 * must come after every {@link ServingSocket} it created is closed.
 */
public final class UnixSocketServerFactory implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(UnixSocketServerFactory.class);

  /** Permissions of directories the factory creates. */
  public static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS =
      PosixFilePermissions.fromString("rwxr-x---");

  /** Permissions of every socket the factory serves. */
  public static final Set<PosixFilePermission> SOCKET_PERMISSIONS =
      PosixFilePermissions.fromString("rw-rw----");

  private final Duration shutdownGrace;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;

  /**
   * Loads the native epoll transport and starts the event loops.
   *
   * @param shutdownGrace how long a closing socket lets in-flight calls finish before cancelling
   * @throws UnsatisfiedLinkError with the loader's cause when native epoll is unavailable
   */
  public UnixSocketServerFactory(Duration shutdownGrace) {
    this.shutdownGrace = Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdownGrace must not be negative: " + shutdownGrace);
    }
    // Fails fast with the real cause (missing .so, wrong architecture) instead of a vague
    // "channel type not supported" at the first bind.
    Epoll.ensureAvailability();
    this.boss =
        new MultiThreadIoEventLoopGroup(1, threads("grpc-uds-boss"), EpollIoHandler.newFactory());
    this.workers =
        new MultiThreadIoEventLoopGroup(2, threads("grpc-uds-worker"), EpollIoHandler.newFactory());
  }

  /**
   * Serves {@code services} on a unix socket at {@code socket}.
   *
   * @throws IOException when the directory cannot be prepared, the path is occupied by something
   *     other than a socket, or binding fails
   */
  public ServingSocket serve(Path socket, List<? extends BindableService> services)
      throws IOException {
    Path path = socket.toAbsolutePath().normalize();
    prepareDirectory(path.getParent());
    removeStaleSocket(path);

    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(workers)
            // gRPC sets TCP keep-alive on every accepted channel; a unix socket has no such
            // option and Netty would log a warning per connection.
            .withChildOption(ChannelOption.SO_KEEPALIVE, null);
    services.forEach(builder::addService);
    Server server = builder.build().start();
    try {
      // bind() created the socket with the process umask (0777 under umask 000); this sets its
      // mode independent of it. Until then the private directory keeps others out.
      Files.setPosixFilePermissions(path, SOCKET_PERMISSIONS);
      LOG.info(
          "Serving {} on unix socket {}",
          services.stream().map(s -> s.bindService().getServiceDescriptor().getName()).toList(),
          path);
      return new ServingSocket(path, server, shutdownGrace);
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      throw e;
    }
  }

  /**
   * Opens a plaintext channel to a unix socket on the factory's event loops, for the plugin's
   * checks of its own sockets. The caller shuts the channel down.
   */
  public ManagedChannel dial(Path socket) {
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(workers)
        .withOption(ChannelOption.SO_KEEPALIVE, null)
        .usePlaintext()
        .build();
  }

  /** Stops the event loops; call after closing every socket served by this factory. */
  @Override
  public void close() {
    var bossStopped = boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    var workersStopped = workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    bossStopped.syncUninterruptibly();
    workersStopped.syncUninterruptibly();
  }

  private static void prepareDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      // The registry directory belongs to the kubelet (rwxr-x--- as it makes it): its owner and
      // group bits stay. Only the kubelet, as root, connects to our sockets, so others lose
      // nothing they need.
      if (PrivateDirectory.removeOthersAccess(dir)) {
        LOG.warn("Socket directory {} was open to other users; removed their access", dir);
      }
      return;
    }
    try {
      PrivateDirectory.create(dir, DIRECTORY_PERMISSIONS);
      LOG.info(
          "Created directory {} ({})", dir, PosixFilePermissions.toString(DIRECTORY_PERMISSIONS));
    } catch (FileAlreadyExistsException e) {
      throw new IOException("Socket directory " + dir + " exists but is not a directory", e);
    }
  }

  /**
   * A socket file survives a crash and makes bind fail. The name is ours (driver and pod UID), so
   * whatever socket sits there was left by an earlier run of this very pod; anything that is not a
   * socket is somebody else's file and is left alone.
   */
  private static void removeStaleSocket(Path path) throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if (!attributes.isOther()) {
      throw new IOException("Refusing to replace " + path + ": it exists and is not a unix socket");
    }
    Files.deleteIfExists(path);
    LOG.info("Removed stale socket {}", path);
  }

  private static DefaultThreadFactory threads(String name) {
    return new DefaultThreadFactory(name);
  }
}
