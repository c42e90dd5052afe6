package dev.gpudra.runtime;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Counts the attempts of a daemon's API server calls that failed for reasons of the API server or
 * the way to it (each retry the client makes counts again), so that an outage shows in metrics
 * ({@code gpudra_api_errors_total{kind}}) even where the code retries quietly (informers
 * re-listing, the slice publisher backing off):
 *
 * <ul>
 *   <li>{@code connection}: no answer at all (refused, reset, timed out);
 *   <li>{@code server}: an answer with a 5xx status;
 *   <li>{@code throttled}: 429 Too Many Requests.
 * </ul>
 *
 * Answers such as 404 or 409 are the API's normal vocabulary, not errors of the server, and are not
 * counted. Installed on the client as an HTTP interceptor, so every call made through that client
 * counts, whatever code made it. Created before the client and bound to the meter registry once
 * that exists; counts taken before are kept. Thread-safe.
 */
public final class ApiErrorCounter implements Interceptor, MeterBinder {

  /** The meter's name; Prometheus shows it as {@code gpudra_api_errors_total}. */
  public static final String METER = "gpudra.api.errors";

  /** Label values of {@code kind}. */
  public static final List<String> KINDS = List.of("connection", "server", "throttled");

  private static final String INTERCEPTOR_NAME = "gpudra-api-errors";

  private final Map<String, AtomicLong> counts =
      KINDS.stream().collect(Collectors.toUnmodifiableMap(k -> k, k -> new AtomicLong()));

  /** Makes clients built by {@code builder} count their failed calls here. */
  public KubernetesClientBuilder installOn(KubernetesClientBuilder builder) {
    return builder.withHttpClientBuilderConsumer(
        http -> http.addOrReplaceInterceptor(INTERCEPTOR_NAME, this));
  }

  /** Failed calls of {@code kind} so far (one of {@link #KINDS}). */
  public long count(String kind) {
    AtomicLong count = counts.get(kind);
    if (count == null) {
      throw new IllegalArgumentException("unknown kind " + kind + "; known: " + KINDS);
    }
    return count.get();
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (String kind : KINDS) {
      FunctionCounter.builder(METER, counts.get(kind), AtomicLong::doubleValue)
          .description("Calls to the API server that failed, by kind (connection, 5xx, 429)")
          .tag("kind", kind)
          .register(registry);
    }
  }

  @Override
  public void after(
      HttpRequest request,
      HttpResponse<?> response,
      AsyncBody.Consumer<List<ByteBuffer>> consumer) {
    kindOf(response.code()).ifPresent(kind -> counts.get(kind).incrementAndGet());
  }

  @Override
  public void afterConnectionFailure(HttpRequest request, Throwable failure) {
    counts.get("connection").incrementAndGet();
  }

  /** The kind a response with HTTP status {@code code} counts as, if any. */
  static Optional<String> kindOf(int code) {
    if (code == 429) {
      return Optional.of("throttled");
    }
    return code >= 500 ? Optional.of("server") : Optional.empty();
  }
}
