package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.Command;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An IPv4 address added to the host's loopback interface for the time of a run: a node's InternalIP
 * (a kubelet refuses 127.0.0.0/8 as node IP) or the API server's Service address. Removed again on
 * {@link #close()} unless it was there before.
 */
final class HostAddress implements AutoCloseable {

  private static final Duration IP = Duration.ofSeconds(10);

  private final String address;
  private final boolean added;

  private HostAddress(String address, boolean added) {
    this.address = address;
    this.added = added;
  }

  /** Adds {@code address}/32 to {@code lo} unless the host has it already. */
  static HostAddress add(String address) {
    String existing = Command.check(IP, "ip", "-4", "-o", "addr", "show", "dev", "lo").stdout();
    if (existing.contains(" " + address + "/")) {
      return new HostAddress(address, false);
    }
    Command.check(IP, "ip", "addr", "add", address + "/32", "dev", "lo");
    return new HostAddress(address, true);
  }

  String address() {
    return address;
  }

  /** Removes a network interface the nodes created (a CNI bridge), if it exists. */
  static void deleteLink(String name) {
    Command.run(IP, Map.of(), List.of("ip", "link", "del", name));
  }

  @Override
  public void close() {
    if (added) {
      Command.run(IP, Map.of(), List.of("ip", "addr", "del", address + "/32", "dev", "lo"));
    }
  }
}
