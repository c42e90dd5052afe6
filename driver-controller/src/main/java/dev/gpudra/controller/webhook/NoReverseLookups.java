package dev.gpudra.controller.webhook;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.stream.Stream;

/**
 * This JVM's name resolution with reverse lookups (address to name) answered at once with "no
 * name", so that an address stays its own text; lookups of names are the JDK's own.
 *
 * <p>Why: the JDK's HTTPS server ({@link WebhookServer}) looks up the name of every client's
 * address before it starts the TLS handshake. The API server calls the webhook from addresses that
 * rarely have a name, and a pod's DNS server may be slow or unreachable (on a node without cluster
 * DNS, or while CoreDNS is down): each call then waited for the DNS timeout, longer than the 5 s
 * the API server waits, so every pod creation in the webhook's scope failed (found on a real node,
 * where the controller's thread dump showed all four webhook threads in {@code getHostByAddr}).
 * None of our programs needs the name of an address.
 *
 * <p>Installed for the whole JVM as a service ({@code META-INF/services}); the image's programs
 * share one class path, so the kubelet plugin gets it too, which loses nothing. Thread-safe.
 */
public final class NoReverseLookups extends InetAddressResolverProvider {

  @Override
  public InetAddressResolver get(Configuration configuration) {
    return resolver(configuration.builtinResolver());
  }

  /** A resolver that asks {@code names} for names and answers reverse lookups itself. */
  static InetAddressResolver resolver(InetAddressResolver names) {
    return new InetAddressResolver() {
      @Override
      public Stream<InetAddress> lookupByName(String host, LookupPolicy policy)
          throws UnknownHostException {
        return names.lookupByName(host, policy);
      }

      @Override
      public String lookupByAddress(byte[] addr) throws UnknownHostException {
        // InetAddress.getHostName() then returns the address as text, at once.
        throw new UnknownHostException("reverse lookups are off in this JVM");
      }
    };
  }

  @Override
  public String name() {
    return "gpudra-no-reverse-lookups";
  }
}
