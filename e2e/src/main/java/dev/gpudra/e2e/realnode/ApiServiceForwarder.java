package dev.gpudra.e2e.realnode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the {@code kubernetes} Service address (10.0.0.1:443, what the kubelet puts into every
 * container as {@code KUBERNETES_SERVICE_HOST/PORT}) reach the API server, which listens on
 * loopback at a free port: there is no kube-proxy and no iptables on the test machines. The address
 * is added to the host's loopback, pods reach it through their bridge's gateway, and each
 * connection is copied byte for byte to the API server, so TLS is end to end (the serving
 * certificate names 10.0.0.1). One run at a time per host can own the address.
 */
final class ApiServiceForwarder implements AutoCloseable {

  /** The first address of the control plane's service range. */
  static final String SERVICE_IP = "10.0.0.1";

  private static final int SERVICE_PORT = 443;

  private final HostAddress address;
  private final ServerSocket server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  private ApiServiceForwarder(HostAddress address, ServerSocket server) {
    this.address = address;
    this.server = server;
  }

  /** Starts forwarding the Service address to {@code 127.0.0.1:apiServerPort}. */
  static ApiServiceForwarder start(int apiServerPort) {
    HostAddress address = HostAddress.add(SERVICE_IP);
    ServerSocket server;
    try {
      server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getByName(SERVICE_IP), SERVICE_PORT));
    } catch (IOException e) {
      address.close();
      throw new UncheckedIOException(
          "cannot listen on "
              + SERVICE_IP
              + ":"
              + SERVICE_PORT
              + " (another real-node cluster running on this host?)",
          e);
    }
    ApiServiceForwarder forwarder = new ApiServiceForwarder(address, server);
    forwarder.threads.execute(() -> forwarder.accept(apiServerPort));
    return forwarder;
  }

  private void accept(int port) {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), port);
        AtomicInteger open = new AtomicInteger(2);
        threads.execute(() -> copy(client, upstream, open));
        threads.execute(() -> copy(upstream, client, open));
      } catch (IOException e) {
        // closed, or the API server refused one connection: the client sees a reset and retries
      }
    }
  }

  /**
   * Copies one direction until its end, passing the half-close on; the second direction to finish
   * (or any error) closes both sockets.
   */
  private static void copy(Socket from, Socket to, AtomicInteger open) {
    boolean failed = false;
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      in.transferTo(out);
      to.shutdownOutput();
    } catch (IOException e) {
      failed = true; // one side went away
    }
    if (open.decrementAndGet() == 0 || failed) {
      closeQuietly(to);
      closeQuietly(from);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    threads.shutdownNow();
    address.close();
  }
}
