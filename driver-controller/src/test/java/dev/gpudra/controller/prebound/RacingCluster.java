package dev.gpudra.controller.prebound;

import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER;
import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER_SELECTOR;

import dev.gpudra.controller.view.SlimPod;
import dev.gpudra.testkit.cluster.ClusterFixtures;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An API server and an informer that lags behind it, for replaying races step by step: writes go to
 * the server at once (conditional on the resource version, as the real one's are); the view shows
 * them only when the test says {@link #sync}. A nudged pod's kubelet prepares the claim as it
 * stands at that instant and starts the pod, as a real kubelet does.
 */
final class RacingCluster implements PreboundView, ClaimWrites {

  static final String NS = "batch-jobs";

  /** What the kubelet prepared when nudged: the pod and the devices of its claim then. */
  record Prepared(String pod, List<String> devices) {}

  private final String node;
  private final List<ResourceSlice> slices;
  private final Map<String, ResourceClaim> server = new LinkedHashMap<>();
  private final Map<String, ResourceClaim> shown = new LinkedHashMap<>();
  private final Map<String, SlimPod> pods = new HashMap<>();
  private final List<Prepared> prepared = new ArrayList<>();
  private final List<Consumer<ResourceClaim>> listeners = new CopyOnWriteArrayList<>();
  private long version = 1;
  private int created;

  RacingCluster(String node, int gpus) {
    this.node = node;
    this.slices = ClusterFixtures.l4Slices(node, gpus);
  }

  /** A pre-bound pod asking {@code gpus} GPUs and its claim, as kcm makes it; shown at once. */
  synchronized void preboundPod(String name, int gpus) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(NS)
            .withName(name)
            .withUid("uid-" + name)
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .endSpec()
            .withNewStatus()
            .withPhase("Pending")
            .endStatus()
            .build();
    pods.put(name, SlimPod.of(pod));
    var template = ClaimTemplates.template(NS, new ClaimTemplates.Shape(DRIVER, gpus));
    ResourceClaimBuilder claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withNamespace(NS)
            .withName(name + "-gpu")
            .withUid("claim-" + name)
            .withCreationTimestamp(String.format("2026-12-03T10:00:%02dZ", created++))
            .withLabels(template.getSpec().getMetadata().getLabels())
            .endMetadata()
            .withSpec(template.getSpec().getSpec());
    store(ClusterFixtures.ownedBy(claim, pod).build());
    sync();
  }

  /**
   * kube-scheduler's write for a scheduler-placed pod's claim holding {@code devices}, decided from
   * what its own informer showed earlier (so possibly a device given out meanwhile).
   */
  synchronized ResourceClaim schedulerAllocates(String name, String... devices) {
    ResourceClaimBuilder claim = ClusterFixtures.oneGpu(NS, name);
    claim
        .editMetadata()
        .withUid("claim-" + name)
        .withCreationTimestamp(String.format("2026-12-03T10:00:%02dZ", created++))
        .endMetadata();
    ResourceClaim allocated = ClusterFixtures.allocatedTo(claim, node, devices[0]).build();
    for (int i = 1; i < devices.length; i++) {
      allocated
          .getStatus()
          .getAllocation()
          .getDevices()
          .getResults()
          .add(
              new io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResultBuilder()
                  .withDriver(DRIVER)
                  .withPool(node)
                  .withDevice(devices[i])
                  .withRequest("gpu")
                  .build());
    }
    return store(allocated);
  }

  /** The informer catches up with the server, and the claims that changed are announced. */
  void sync() {
    List<ResourceClaim> changed = new ArrayList<>();
    synchronized (this) {
      for (ResourceClaim c : server.values()) {
        ResourceClaim before = shown.put(c.getMetadata().getUid(), c);
        if (before == null
            || !before
                .getMetadata()
                .getResourceVersion()
                .equals(c.getMetadata().getResourceVersion())) {
          changed.add(c);
        }
      }
    }
    changed.forEach(c -> listeners.forEach(l -> l.accept(c)));
  }

  /** The informer shows only the named claim's latest write (watch events come one by one). */
  synchronized void syncOnly(String claimName) {
    server.values().stream()
        .filter(c -> c.getMetadata().getName().equals(claimName))
        .forEach(c -> shown.put(c.getMetadata().getUid(), c));
  }

  /** Devices held by more than one claim on the server, {@code device -> claim names}. */
  synchronized Map<String, List<String>> doubleAllocations() {
    Map<String, List<String>> holders = new TreeMap<>();
    for (ResourceClaim c : server.values()) {
      for (String d : devices(c)) {
        holders.computeIfAbsent(d, k -> new ArrayList<>()).add(c.getMetadata().getName());
      }
    }
    holders.values().removeIf(l -> l.size() < 2);
    return holders;
  }

  /** The devices {@code claimName} holds on the server. */
  synchronized List<String> devicesOf(String claimName) {
    return server.values().stream()
        .filter(c -> c.getMetadata().getName().equals(claimName))
        .findFirst()
        .map(RacingCluster::devices)
        .orElse(List.of());
  }

  /** What the kubelet prepared, in order. */
  synchronized List<Prepared> prepared() {
    return List.copyOf(prepared);
  }

  private static List<String> devices(ResourceClaim c) {
    if (c.getStatus() == null || c.getStatus().getAllocation() == null) {
      return List.of();
    }
    return c.getStatus().getAllocation().getDevices().getResults().stream()
        .map(DeviceRequestAllocationResult::getDevice)
        .toList();
  }

  private ResourceClaim store(ResourceClaim claim) {
    ResourceClaim stored =
        new ResourceClaimBuilder(claim)
            .editMetadata()
            .withResourceVersion(Long.toString(version++))
            .endMetadata()
            .build();
    server.put(stored.getMetadata().getUid(), stored);
    return stored;
  }

  private boolean current(ResourceClaim claim) {
    ResourceClaim onServer = server.get(claim.getMetadata().getUid());
    return onServer != null
        && onServer
            .getMetadata()
            .getResourceVersion()
            .equals(claim.getMetadata().getResourceVersion());
  }

  @Override
  public synchronized Optional<ResourceClaim> allocate(
      ResourceClaim claim, AllocationResult allocation, SlimPod pod) {
    if (!current(claim)) {
      return Optional.empty();
    }
    return Optional.of(
        store(
            new ResourceClaimBuilder(claim)
                .editMetadata()
                .addToFinalizers(AllocationWriter.FINALIZER)
                .endMetadata()
                .editOrNewStatus()
                .withAllocation(allocation)
                .addNewReservedFor()
                .withResource("pods")
                .withName(pod.name())
                .withUid(pod.uid())
                .endReservedFor()
                .endStatus()
                .build()));
  }

  @Override
  public synchronized boolean release(ResourceClaim claim) {
    if (!current(claim)) {
      return false;
    }
    store(
        new ResourceClaimBuilder(claim)
            .editStatus()
            .withAllocation(null)
            .withReservedFor(List.of())
            .endStatus()
            .build());
    return true;
  }

  @Override
  public synchronized void nudge(SlimPod pod, Instant now) {
    String claim = pod.name() + "-gpu";
    prepared.add(new Prepared(pod.name(), devicesOf(claim)));
    pods.put(
        pod.name(),
        new SlimPod(
            pod.namespace(),
            pod.name(),
            pod.uid(),
            pod.resourceVersion(),
            pod.nodeName(),
            "Running",
            pod.labels(),
            pod.claims()));
  }

  @Override
  public synchronized List<ResourceClaim> claims() {
    return List.copyOf(shown.values());
  }

  @Override
  public List<Node> nodes() {
    return List.of(ClusterFixtures.node(node));
  }

  @Override
  public List<ResourceSlice> slices() {
    return slices;
  }

  @Override
  public List<DeviceClass> deviceClasses() {
    return List.of(ClusterFixtures.deviceClass(DRIVER, DRIVER_SELECTOR));
  }

  @Override
  public synchronized Optional<SlimPod> pod(String namespace, String name) {
    return NS.equals(namespace) ? Optional.ofNullable(pods.get(name)) : Optional.empty();
  }

  @Override
  public void onClaimChange(Consumer<ResourceClaim> listener) {
    listeners.add(listener);
  }
}
