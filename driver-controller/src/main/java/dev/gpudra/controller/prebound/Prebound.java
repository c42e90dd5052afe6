package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.controller.webhook.ClaimConfigWebhook;
import dev.gpudra.controller.webhook.WebhookConfig;
import dev.gpudra.controller.webhook.Webhooks;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.names.DriverNames;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the pre-bound pod support and the webhooks for {@code Main}, so that Main stays short. */
public final class Prebound {

  private static final Logger LOG = LoggerFactory.getLogger(Prebound.class);

  private Prebound() {}

  /**
   * The pre-bound allocator, started (it passes only while {@link PreboundController#leading}); a
   * controller that does nothing when {@code GPUDRA_PREBOUND_ALLOCATION} is false.
   */
  public static PreboundController start(
      KubernetesClient client, ClusterView view, WebhookConfig config, MeterRegistry registry) {
    PreboundView informers = PreboundView.of(view);
    PreboundController controller =
        new PreboundController(
            informers,
            new PreboundAllocator(
                informers,
                new AllocationWriter(client),
                new SelectorCache(SelectorEnvironment.create(), 256),
                AllocationBudget.DEFAULT,
                Clock.systemUTC(),
                PreboundAllocator.CONFIRM_AFTER),
            new WaitingPodEvents(client),
            new PreboundMetrics(registry),
            Clock.systemUTC());
    if (config.preboundAllocation()) {
      controller.start(config.preboundResync());
      LOG.info("Allocating claims of pre-bound pods (full pass every {})", config.preboundResync());
    }
    return controller;
  }

  /**
   * Serves the webhooks when a port is set; null otherwise. Every replica serves them (the API
   * server calls any replica behind the Service); only the leader allocates.
   *
   * @throws IOException when the certificate cannot be read or the port bound
   */
  public static Webhooks serveWebhooks(
      KubernetesClient client, ClusterView view, WebhookConfig config) throws IOException {
    if (!config.serving()) {
      return null;
    }
    Webhooks webhooks =
        Webhooks.start(
            config,
            new PreboundPodWebhook(
                view::deviceClasses, DriverNames.DRIVER, new ClaimTemplates(client)),
            new ClaimConfigWebhook(DriverNames.DRIVER));
    LOG.info("Serving admission webhooks over HTTPS on port {}", webhooks.port());
    return webhooks;
  }
}
