package dev.gpudra.plugin.metrics;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.prepare.ClaimSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the node's {@link SharingSnapshot} at a fixed interval: the prepared claims come from
 * the node's checkpoint in memory, what they consume and whom they serve from the API server, read
 * once per claim (an allocation does not change while it is prepared) and forgotten when the claim
 * leaves the checkpoint. A claim whose facts cannot be read yet counts on its GPUs and is read
 * again next pass; a pod the plugin may not read is named by its name. One daemon thread; {@link
 * #close} stops it.
 */
public final class SharingMetricsLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SharingMetricsLoop.class);
  // Core v1 pods, named in full so that the client needs no discovery request to find them.
  private static final ResourceDefinitionContext PODS =
      new ResourceDefinitionContext.Builder()
          .withGroup("")
          .withVersion("v1")
          .withKind("Pod")
          .withPlural("pods")
          .withNamespaced(true)
          .build();

  private final Supplier<Checkpoint> checkpoint;
  private final ClaimSource claims;
  private final KubernetesClient client;
  private final String driver;
  private final Map<String, Long> gpuMemoryBytes;
  private final SharingMetrics metrics;
  private final Map<String, ClaimSharingFacts> facts = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "sharing-metrics");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param checkpoint the node's claims now (in memory)
   * @param claims reads a claim
   * @param client reads the pod a claim is reserved for
   * @param driver our driver name, whose allocation results count
   * @param gpuMemoryBytes memory of each GPU by device name
   * @param metrics where snapshots go
   */
  public SharingMetricsLoop(
      Supplier<Checkpoint> checkpoint,
      ClaimSource claims,
      KubernetesClient client,
      String driver,
      Map<String, Long> gpuMemoryBytes,
      SharingMetrics metrics) {
    this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
    this.claims = Objects.requireNonNull(claims, "claims");
    this.client = Objects.requireNonNull(client, "client");
    this.driver = Objects.requireNonNull(driver, "driver");
    this.gpuMemoryBytes = Map.copyOf(gpuMemoryBytes);
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /** Publishes now and then every {@code interval}. */
  public SharingMetricsLoop start(Duration interval) {
    // publishLogged catches everything, so the future never holds an exception to look at.
    var unused =
        timer.scheduleWithFixedDelay(
            this::publishLogged, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void publishLogged() {
    try {
      publish();
    } catch (RuntimeException e) {
      // The next pass tries again; a metrics failure never touches prepare.
      LOG.warn("publishing the sharing metrics failed", e);
    }
  }

  /** One pass: reads what is missing and publishes the snapshot. */
  public void publish() {
    Checkpoint now = checkpoint.get();
    Set<String> uids = now.entries().stream().map(PreparedClaim::uid).collect(Collectors.toSet());
    facts.keySet().retainAll(uids);
    for (PreparedClaim claim : now.entries()) {
      if (!facts.containsKey(claim.uid())) {
        read(claim).ifPresent(f -> facts.put(claim.uid(), f));
      }
    }
    metrics.sharingNow(SharingSnapshot.of(now, facts, gpuMemoryBytes));
  }

  private Optional<ClaimSharingFacts> read(PreparedClaim prepared) {
    try {
      Optional<ResourceClaim> claim = claims.fetch(prepared.namespace(), prepared.name());
      if (claim.isEmpty() || !prepared.uid().equals(claim.get().getMetadata().getUid())) {
        return Optional.empty();
      }
      Optional<ObjectMeta> pod =
          ClaimSharingFacts.firstPod(claim.get())
              .flatMap(name -> podMetadata(prepared.namespace(), name));
      return Optional.of(ClaimSharingFacts.of(claim.get(), driver, pod));
    } catch (KubernetesClientException e) {
      LOG.debug(
          "reading claim {}/{} for the sharing metrics failed",
          prepared.namespace(),
          prepared.name(),
          e);
      return Optional.empty();
    }
  }

  /**
   * The metadata of pod {@code namespace/name}. Read as a generic resource: the workload needs only
   * the owner and labels, and a typed {@code Pod} would make the plugin load and keep the classes
   * of the whole pod model (about 450, builders included) for it.
   */
  private Optional<ObjectMeta> podMetadata(String namespace, String name) {
    try {
      return Optional.ofNullable(
              client.genericKubernetesResources(PODS).inNamespace(namespace).withName(name).get())
          .map(GenericKubernetesResource::getMetadata);
    } catch (KubernetesClientException e) {
      // Without the pods grant the pod is named by its name (ClaimSharingFacts.of).
      LOG.debug(
          "reading pod {}/{} for the sharing metrics failed: {}", namespace, name, e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
