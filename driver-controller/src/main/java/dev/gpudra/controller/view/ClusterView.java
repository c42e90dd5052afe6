package dev.gpudra.controller.view;

import dev.gpudra.core.claims.ClaimClassifier;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The controller's one in-memory view of the cluster: informers on ResourceSlices, ResourceClaims,
 * Pods, Nodes and DeviceClasses. Readers get copies of the informers' current items; the informers
 * keep them up to date from watches.
 *
 * <p>Pods, the most numerous objects of a cluster and often the largest, are kept only as {@link
 * SlimPod}s: the pod informer stores them through {@link SlimPodStore}, so a pod costs the view
 * well under a kilobyte whatever its spec holds, and it lists pods in pages of {@value
 * #POD_LIST_PAGE}, so that at most one page of full Pods is in memory at once.
 *
 * <p>Thread-safe: the informer caches are concurrent, and listeners are called on the informer
 * threads.
 */
public final class ClusterView implements AutoCloseable {

  /**
   * Pods per page when the pod informer lists (at start and after a watch expires): full Pods are
   * held only one page at a time before they are slimmed.
   */
  static final long POD_LIST_PAGE = 500;

  private final KubernetesClient client;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final List<Consumer<ResourceClaim>> claimListeners = new CopyOnWriteArrayList<>();
  private final SlimPodStore podStore = new SlimPodStore();

  /** Advanced by every change to the objects allocation depends on; see {@link #revision}. */
  private final AtomicLong revision = new AtomicLong();

  private SharedIndexInformer<ResourceSlice> slices;
  private SharedIndexInformer<ResourceClaim> claims;
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<DeviceClass> deviceClasses;

  public ClusterView(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Called with every added or updated claim (on an informer thread). */
  public void onClaimChange(Consumer<ResourceClaim> listener) {
    claimListeners.add(listener);
  }

  /**
   * Starts the informers and waits until each has listed its resource once.
   *
   * @throws IllegalStateException when they do not sync within {@code timeout}
   */
  public synchronized void start(Duration timeout) {
    var dra = client.dynamicResourceAllocation().v1();
    slices = track(dra.resourcesSlices().runnableInformer(0).itemStore(counting()));
    claims = track(dra.resourceClaims().inAnyNamespace().runnableInformer(0).itemStore(counting()));
    claims.addEventHandler(claimHandler());
    pods =
        track(
            client
                .pods()
                .inAnyNamespace()
                .withLimit(POD_LIST_PAGE)
                .runnableInformer(0)
                .itemStore(podStore));
    nodes = track(client.nodes().runnableInformer(0).itemStore(counting()));
    deviceClasses = track(dra.deviceClasses().runnableInformer(0).itemStore(counting()));
    List<CompletableFuture<Void>> started =
        informers.stream().map(i -> i.start().toCompletableFuture()).toList();
    try {
      CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
          .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the informers synced", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("informers did not sync within " + timeout, e);
    }
  }

  private <T extends HasMetadata> RevisionCountingStore<T> counting() {
    return new RevisionCountingStore<>(revision);
  }

  private <T extends HasMetadata> SharedIndexInformer<T> track(SharedIndexInformer<T> informer) {
    informers.add(informer);
    return informer;
  }

  private ResourceEventHandler<ResourceClaim> claimHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(ResourceClaim claim) {
        claimListeners.forEach(l -> l.accept(claim));
      }

      @Override
      public void onUpdate(ResourceClaim before, ResourceClaim after) {
        claimListeners.forEach(l -> l.accept(after));
      }

      @Override
      public void onDelete(ResourceClaim claim, boolean finalStateUnknown) {}
    };
  }

  /** Whether every informer has synced and is watching. */
  public boolean synced() {
    return !informers.isEmpty()
        && informers.stream().allMatch(i -> i.hasSynced() && i.isWatching());
  }

  /**
   * A number that changes whenever a ResourceSlice, ResourceClaim, Node or DeviceClass is added,
   * updated or removed: the inputs of the allocator. Results computed from the view at one revision
   * hold until it changes. Pods do not count; allocation does not read them.
   */
  public long revision() {
    return revision.get();
  }

  /**
   * Which claims are {@code driver}'s, judged by the device classes the view holds now: the one
   * answer the metrics, the pending-claim Events and {@code /explain} share.
   */
  public ClaimClassifier classifier(String driver) {
    return new ClaimClassifier(driver, DriverClasses.selecting(deviceClasses(), driver));
  }

  /** Current ResourceSlices of all drivers. */
  public List<ResourceSlice> slices() {
    return List.copyOf(slices.getStore().list());
  }

  /** Current ResourceClaims of all namespaces. */
  public List<ResourceClaim> claims() {
    return List.copyOf(claims.getStore().list());
  }

  /** Current DeviceClasses. */
  public List<DeviceClass> deviceClasses() {
    return List.copyOf(deviceClasses.getStore().list());
  }

  /** Current Nodes. */
  public List<Node> nodes() {
    return List.copyOf(nodes.getStore().list());
  }

  /** A pod, if the view knows it. */
  public Optional<SlimPod> pod(String namespace, String name) {
    return podStore.slim(Cache.namespaceKeyFunc(namespace, name));
  }

  /** The pods of a namespace. */
  public List<SlimPod> pods(String namespace) {
    return pods.getIndexer().indexKeys(Cache.NAMESPACE_INDEX, namespace).stream()
        .map(podStore::slim)
        .flatMap(Optional::stream)
        .toList();
  }

  /** The labels of a pod that say its workload kind, if the view knows it. */
  public Optional<Map<String, String>> podLabels(String namespace, String name) {
    return pod(namespace, name).map(SlimPod::labels);
  }

  /** Stops every informer. */
  @Override
  public synchronized void close() {
    informers.forEach(SharedIndexInformer::stop);
    informers.clear();
  }
}
