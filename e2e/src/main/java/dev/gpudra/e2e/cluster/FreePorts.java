package dev.gpudra.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Loopback ports nobody listens on, so several control planes can run side by side. */
public final class FreePorts {

  private FreePorts() {}

  /**
   * {@code count} distinct free ports. All sockets stay open until every port is chosen, so the
   * kernel cannot hand out one port twice; another process could still take one before the
   * component binds it, which start-up then reports as a component that exited.
   */
  public static List<Integer> take(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException e) {
          // Closing a socket that never accepted anything cannot lose data; nothing to do.
        }
      }
    }
  }
}
