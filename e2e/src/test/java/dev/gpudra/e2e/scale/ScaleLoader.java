package dev.gpudra.e2e.scale;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.nodes.FakeNodes;
import dev.gpudra.e2e.scale.ScalePlan.PlannedClaim;
import dev.gpudra.e2e.scale.ScalePlan.PlannedDevice;
import dev.gpudra.e2e.scale.ScalePlan.PlannedPod;
import dev.gpudra.plugin.slices.ResourceSlicePublisher;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequestBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimConsumerReferenceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatus;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Puts a {@link ScalePlan} into a real API server, with {@code threads} requests in flight: the
 * namespaces, plain Node objects, each node's ResourceSlices exactly as the kubelet plugin
 * publishes them ({@link ResourceSliceMapper} and {@link ResourceSlicePublisher} on a node
 * inventory), the pods, the claims, and the allocated claims' status through the status
 * subresource. Each phase is timed.
 */
public final class ScaleLoader implements AutoCloseable {

  /** Our driver. */
  public static final String DRIVER = "gpu.gpudra.dev";

  private static final String REQUEST = "gpu";

  /** How long one phase took, for a rate. */
  public record Phase(String what, int objects, Duration took) {
    /** Objects per second. */
    public double rate() {
      return objects / Math.max(took.toNanos() / 1e9, 1e-9);
    }
  }

  private final KubernetesClient client;
  private final ScalePlan plan;
  private final NodeInventory template;
  private final ExecutorService pool;
  private final Map<String, String> podUids = new ConcurrentHashMap<>();
  private final Map<String, ResourceClaim> created = new ConcurrentHashMap<>();

  /**
   * @param template the GPUs every node has; MIG is turned off on each, so that a node publishes
   *     exactly one device per GPU, and UUIDs are made unique per node
   */
  public ScaleLoader(KubernetesClient client, ScalePlan plan, NodeInventory template, int threads) {
    this.client = client;
    this.plan = plan;
    this.template = template;
    this.pool = Executors.newFixedThreadPool(threads);
  }

  /** The device names a node with {@code template}'s GPUs publishes. */
  public static List<String> deviceNames(NodeInventory template) {
    return slices(template, "template").stream()
        .flatMap(s -> s.getDevices().stream())
        .map(d -> d.getName())
        .toList();
  }

  /** {@code template} on {@code node}: whole GPUs only, UUIDs of the node's own. */
  static NodeInventory nodeInventory(NodeInventory template, String node) {
    List<Gpu> gpus =
        template.gpus().stream()
            .map(
                g ->
                    new Gpu(
                        g.index(),
                        g.minor(),
                        "GPU-"
                            + UUID.nameUUIDFromBytes(
                                (node + "/" + g.uuid()).getBytes(StandardCharsets.UTF_8)),
                        g.productName(),
                        g.brand(),
                        g.architecture(),
                        g.cudaComputeCapability(),
                        g.memoryBytes(),
                        g.pciBusId(),
                        new MigMode(g.migMode().capable(), false, false),
                        g.migProfiles(),
                        List.of()))
            .toList();
    return new NodeInventory(
        template.driverVersion(), template.cudaDriverVersion(), gpus, List.of());
  }

  private static List<ResourceSliceSpec> slices(NodeInventory template, String node) {
    return ResourceSliceMapper.map(
        nodeInventory(template, node), new SliceMappingOptions(DRIVER, node, false));
  }

  /** Creates everything in the plan except the burst; returns the phases in order. */
  public List<Phase> load() {
    List<Phase> phases = new ArrayList<>();
    phases.add(
        timed("namespaces", plan.namespaces(), namespace -> Namespaces.create(client, namespace)));
    phases.add(timed("nodes", plan.nodes(), node -> FakeNodes.create(client, node)));
    phases.add(
        timed(
            "slices (publisher per node)",
            plan.nodes(),
            node ->
                new ResourceSlicePublisher(client, DRIVER, node).publish(slices(template, node))));
    phases.add(timed("pods", plan.pods(), this::createPod));
    phases.add(timed("claims", plan.claims(), this::createClaim));
    phases.add(
        timed(
            "claim status (allocation)",
            plan.claims().stream().filter(c -> !c.devices().isEmpty()).toList(),
            this::allocate));
    return phases;
  }

  /** Allocates the plan's burst claims (status only, no pods); the controller sees them change. */
  public Phase allocateBurst() {
    return timed("burst: claims allocated", plan.burst(), this::allocate);
  }

  private void createPod(PlannedPod planned) {
    String claim = planned.name().substring(0, planned.name().length() - "-pod".length());
    Pod pod =
        client
            .pods()
            .inNamespace(planned.namespace())
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(planned.name())
                    .withLabels(planned.labels())
                    .endMetadata()
                    .withNewSpec()
                    .withNodeName(planned.node())
                    .addNewResourceClaim()
                    .withName(REQUEST)
                    .withResourceClaimName(claim)
                    .endResourceClaim()
                    .addNewContainer()
                    .withName("main")
                    .withImage("registry.k8s.io/pause:3.10")
                    .withNewResources()
                    .addNewClaim()
                    .withName(REQUEST)
                    .endClaim()
                    .endResources()
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    podUids.put(planned.namespace() + "/" + planned.name(), pod.getMetadata().getUid());
  }

  private void createClaim(PlannedClaim planned) {
    var request =
        new ExactDeviceRequestBuilder()
            .withDeviceClassName(DRIVER)
            .withAllocationMode("ExactCount")
            .withCount((long) planned.shape().count());
    if (planned.shape().selector() != null) {
      request
          .addNewSelector()
          .withNewCel()
          .withExpression(planned.shape().selector())
          .endCel()
          .endSelector();
    }
    var builder =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withName(planned.name())
            .withNamespace(planned.namespace())
            .endMetadata()
            .withNewSpec()
            .withNewDevices()
            .addNewRequest()
            .withName(REQUEST)
            .withExactly(request.build())
            .endRequest()
            .endDevices()
            .endSpec();
    if (planned.pod() != null && planned.pod().owns()) {
      builder
          .editMetadata()
          .addToOwnerReferences(
              new OwnerReferenceBuilder()
                  .withApiVersion("v1")
                  .withKind("Pod")
                  .withName(planned.pod().name())
                  .withUid(podUid(planned.pod()))
                  .withController(true)
                  .withBlockOwnerDeletion(true)
                  .build())
          .endMetadata();
    }
    ResourceClaim claim =
        client
            .dynamicResourceAllocation()
            .v1()
            .resourceClaims()
            .inNamespace(planned.namespace())
            .resource(builder.build())
            .create();
    created.put(planned.namespace() + "/" + planned.name(), claim);
  }

  private void allocate(PlannedClaim planned) {
    ResourceClaimStatus status = status(planned);
    var claims =
        client.dynamicResourceAllocation().v1().resourceClaims().inNamespace(planned.namespace());
    ResourceClaim known = created.get(planned.namespace() + "/" + planned.name());
    if (known != null) {
      try {
        claims.resource(new ResourceClaimBuilder(known).withStatus(status).build()).updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
    }
    claims
        .withName(planned.name())
        .editStatus(c -> new ResourceClaimBuilder(c).withStatus(status).build());
  }

  private ResourceClaimStatus status(PlannedClaim planned) {
    List<DeviceRequestAllocationResult> results =
        planned.devices().stream()
            .map(
                (PlannedDevice d) ->
                    new DeviceRequestAllocationResultBuilder()
                        .withRequest(REQUEST)
                        .withDriver(DRIVER)
                        .withPool(d.node())
                        .withDevice(d.device())
                        .build())
            .toList();
    var status =
        new ResourceClaimStatusBuilder()
            .withNewAllocation()
            .withNewDevices()
            .withResults(results)
            .endDevices()
            .withNodeSelector(
                new NodeSelectorBuilder()
                    .addNewNodeSelectorTerm()
                    .addNewMatchField()
                    .withKey("metadata.name")
                    .withOperator("In")
                    .withValues(planned.devices().getFirst().node())
                    .endMatchField()
                    .endNodeSelectorTerm()
                    .build())
            .endAllocation();
    if (planned.state() == ScalePlan.State.RESERVED) {
      status.addToReservedFor(
          new ResourceClaimConsumerReferenceBuilder()
              .withResource("pods")
              .withName(planned.pod().name())
              .withUid(podUid(planned.pod()))
              .build());
    }
    return status.build();
  }

  private String podUid(PlannedPod pod) {
    String uid = podUids.get(pod.namespace() + "/" + pod.name());
    if (uid == null) {
      throw new IllegalStateException("pod " + pod.namespace() + "/" + pod.name() + " not created");
    }
    return uid;
  }

  private <T> Phase timed(String what, List<T> items, Consumer<T> task) {
    long start = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>(items.size());
    for (T item : items) {
      futures.add(pool.submit(() -> task.accept(item)));
    }
    try {
      for (Future<?> future : futures) {
        future.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading " + what, e);
    } catch (ExecutionException e) {
      futures.forEach(f -> f.cancel(true));
      throw new IllegalStateException("loading " + what + " failed: " + e.getCause(), e.getCause());
    }
    return new Phase(what, items.size(), Duration.ofNanos(System.nanoTime() - start));
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
