package dev.gpudra.controller.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The webhook's HTTPS server names every client address before its TLS handshake; with {@link
 * NoReverseLookups} that never waits for a DNS server.
 */
class NoReverseLookupsTest {

  /** The JDK's resolver as far as these tests see it: counts reverse lookups, knows one name. */
  private static final class CountingResolver implements InetAddressResolver {
    final AtomicInteger reverse = new AtomicInteger();

    @Override
    public Stream<InetAddress> lookupByName(String host, LookupPolicy policy)
        throws UnknownHostException {
      if (!host.equals("api.example")) {
        throw new UnknownHostException(host);
      }
      return Stream.of(InetAddress.getByAddress(host, new byte[] {10, 0, 0, 1}));
    }

    @Override
    public String lookupByAddress(byte[] addr) {
      reverse.incrementAndGet();
      return "slow.dns.example";
    }
  }

  @Test
  void aReverseLookupIsAnsweredWithoutAskingTheResolver() {
    CountingResolver jdk = new CountingResolver();
    InetAddressResolver resolver = NoReverseLookups.resolver(jdk);

    assertThatThrownBy(() -> resolver.lookupByAddress(new byte[] {10, (byte) 244, 1, 1}))
        .isInstanceOf(UnknownHostException.class);
    assertThat(jdk.reverse).hasValue(0);
  }

  @Test
  void namesAreResolvedAsTheJdkDoes() throws UnknownHostException {
    InetAddressResolver resolver = NoReverseLookups.resolver(new CountingResolver());

    assertThat(
            resolver.lookupByName(
                "api.example",
                InetAddressResolver.LookupPolicy.of(InetAddressResolver.LookupPolicy.IPV4)))
        .extracting(InetAddress::getHostAddress)
        .containsExactly("10.0.0.1");
  }

  @Test
  void theJvmOfTheControllerUsesItSoAClientAddressStaysItsText() throws UnknownHostException {
    assertThat(ServiceLoader.load(InetAddressResolverProvider.class).stream())
        .anyMatch(p -> p.type() == NoReverseLookups.class);
    // What the HTTPS server asks for the API server's address (TEST-NET-1, which has no name).
    assertThat(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 123}).getHostName())
        .isEqualTo("192.0.2.123");
  }
}
