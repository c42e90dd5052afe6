package dev.gpudra.e2e.nodes;

import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.testkit.kubelet.CdiSpecCheck;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.PodClaim;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's pod work for one fake node, as far as DRA goes: it watches the pods bound to the
 * node; for a new pod it calls NodePrepareResources with the pod's allocated claims of our driver,
 * checks that every CDI id resolves in the node's CDI directory, and marks the pod Running; when
 * the pod is deleted it calls NodeUnprepareResources and then removes the pod, as the kubelet
 * finishes a graceful deletion.
 *
 * <p>The pod's claims are those of {@code spec.resourceClaims} and the claim the scheduler made for
 * its extended resources ({@code status.extendedResourceClaimStatus}, e.g. {@code nvidia.com/gpu:
 * 1}). A claim shared by several pods of the node is prepared again for each pod (the plugin
 * answers a repeat from its checkpoint) and unprepared only when the last of them is gone, as the
 * kubelet's claim cache does.
 *
 * <p>Pods are handled one at a time on one thread, in event order; every event and the periodic
 * resync re-read the pod, so a pod whose claims are not ready yet is retried, as the kubelet
 * retries. What went wrong is collected in {@link #problems()} rather than thrown.
 */
public final class NodeAgent implements AutoCloseable {

  /**
   * What a problem says when the agent could not read a pod from the API server (the kubelet's own
   * trouble, not the plugin's), after {@code namespace/name: }.
   */
  public static final String POD_READ_FAILED = "reading the pod failed";

  private static final long RESYNC_MILLIS = 1000;
  private static final Set<String> RUNNING_CONDITIONS =
      Set.of("Initialized", "ContainersReady", "Ready");

  /**
   * A pod whose claims this node prepared.
   *
   * @param claims the claims passed to the plugin
   * @param outcomes the plugin's answer per claim UID
   */
  public record PreparedPod(List<PodClaim> claims, Map<String, ClaimOutcome> outcomes) {
    /** Copies. */
    public PreparedPod {
      claims = List.copyOf(claims);
      outcomes = Map.copyOf(outcomes);
    }
  }

  private final KubernetesClient client;
  private final String driver;
  private final DraCalls dra;
  private final Path cdiDir;
  private final ExecutorService worker;
  private final ConcurrentMap<String, PreparedPod> preparedByPodUid = new ConcurrentHashMap<>();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final SharedIndexInformer<Pod> informer;

  private NodeAgent(
      KubernetesClient client, String node, String driver, DraCalls dra, Path cdiDir) {
    this.client = client;
    this.driver = driver;
    this.dra = dra;
    this.cdiDir = cdiDir;
    this.worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "node-agent-" + node));
    this.informer =
        client
            .pods()
            .inAnyNamespace()
            .withField("spec.nodeName", node)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    enqueue(pod);
                  }

                  @Override
                  public void onUpdate(Pod oldPod, Pod pod) {
                    enqueue(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean finalStateUnknown) {
                    enqueue(pod);
                  }
                },
                RESYNC_MILLIS);
  }

  /**
   * Starts acting for {@code node}.
   *
   * @param driver the DRA driver whose claims go to {@code dra}
   * @param cdiDir where the plugin writes CDI specs, as the container runtime reads them
   */
  public static NodeAgent start(
      KubernetesClient client, String node, String driver, DraCalls dra, Path cdiDir) {
    return new NodeAgent(client, node, driver, dra, cdiDir);
  }

  /** What the plugin answered for the pod with {@code podUid}, while it is prepared. */
  public Optional<PreparedPod> prepared(String podUid) {
    return Optional.ofNullable(preparedByPodUid.get(podUid));
  }

  /** Failed calls, CDI ids that do not resolve, failed pod updates; empty when all went well. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  @Override
  public void close() {
    informer.close();
    worker.shutdownNow();
    try {
      worker.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void enqueue(Pod pod) {
    String namespace = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    String uid = pod.getMetadata().getUid();
    if (!worker.isShutdown()) {
      worker.execute(() -> sync(namespace, name, uid));
    }
  }

  private void sync(String namespace, String name, String uid) {
    Pod pod;
    try {
      pod = client.pods().inNamespace(namespace).withName(name).get();
    } catch (RuntimeException e) {
      problems.add(namespace + "/" + name + ": " + POD_READ_FAILED + ": " + e);
      return;
    }
    try {
      boolean gone = pod == null || !uid.equals(pod.getMetadata().getUid());
      if (gone || pod.getMetadata().getDeletionTimestamp() != null) {
        stop(namespace, name, uid, gone);
      } else if (!preparedByPodUid.containsKey(uid)) {
        start(pod);
      }
    } catch (RuntimeException e) {
      problems.add(namespace + "/" + name + ": " + e);
    }
  }

  private void start(Pod pod) {
    Optional<List<PodClaim>> claims = allocatedClaims(pod);
    if (claims.isEmpty()) {
      return; // not every claim is allocated and reserved yet; a later event retries
    }
    String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    Map<String, ClaimOutcome> outcomes =
        claims.get().isEmpty() ? Map.of() : dra.prepare(claims.get());
    List<String> failures = new ArrayList<>();
    outcomes.forEach(
        (claimUid, outcome) -> {
          if (!outcome.ok()) {
            failures.add(key + ": prepare of claim " + claimUid + ": " + outcome.error());
          }
        });
    CdiSpecCheck.problems(cdiDir, outcomes).forEach(p -> failures.add(key + ": " + p));
    if (!failures.isEmpty()) {
      problems.addAll(failures);
      return;
    }
    preparedByPodUid.put(pod.getMetadata().getUid(), new PreparedPod(claims.get(), outcomes));
    markRunning(pod);
  }

  private void stop(String namespace, String name, String uid, boolean gone) {
    PreparedPod prepared = preparedByPodUid.get(uid);
    List<PodClaim> lastUse = prepared == null ? List.of() : claimsOnlyUsedBy(uid, prepared);
    if (!lastUse.isEmpty()) {
      Map<String, ClaimOutcome> outcomes = dra.unprepare(lastUse);
      List<String> failures =
          outcomes.entrySet().stream()
              .filter(e -> !e.getValue().ok())
              .map(
                  e ->
                      namespace
                          + "/"
                          + name
                          + ": unprepare of claim "
                          + e.getKey()
                          + ": "
                          + e.getValue().error())
              .toList();
      if (!failures.isEmpty()) {
        problems.addAll(failures);
        return; // the pod stays until its claims are unprepared, as with the kubelet
      }
    }
    preparedByPodUid.remove(uid);
    if (!gone) {
      // The kubelet's last word on a graceful deletion: remove the object now.
      client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
    }
  }

  /** The claims of {@code prepared} that no other prepared pod of this node uses. */
  private List<PodClaim> claimsOnlyUsedBy(String podUid, PreparedPod prepared) {
    Set<String> usedElsewhere = new HashSet<>();
    preparedByPodUid.forEach(
        (otherUid, other) -> {
          if (!otherUid.equals(podUid)) {
            other.claims().forEach(c -> usedElsewhere.add(c.uid()));
          }
        });
    return prepared.claims().stream().filter(c -> !usedElsewhere.contains(c.uid())).toList();
  }

  /**
   * The pod's claims with allocation results of our driver, each allocated and reserved for the
   * pod; empty when one of its claims is not there yet.
   */
  private Optional<List<PodClaim>> allocatedClaims(Pod pod) {
    List<PodClaim> claims = new ArrayList<>();
    for (Optional<String> claimName : PodClaims.names(pod)) {
      if (claimName.isEmpty()) {
        return Optional.empty();
      }
      ResourceClaim claim =
          client
              .dynamicResourceAllocation()
              .v1()
              .resourceClaims()
              .inNamespace(pod.getMetadata().getNamespace())
              .withName(claimName.get())
              .get();
      if (claim == null
          || claim.getStatus() == null
          || claim.getStatus().getAllocation() == null
          || claim.getStatus().getReservedFor() == null
          || claim.getStatus().getReservedFor().stream()
              .noneMatch(r -> pod.getMetadata().getUid().equals(r.getUid()))) {
        return Optional.empty();
      }
      boolean ours =
          claim.getStatus().getAllocation().getDevices().getResults().stream()
              .anyMatch(r -> driver.equals(r.getDriver()));
      if (ours) {
        claims.add(
            new PodClaim(
                claim.getMetadata().getNamespace(),
                claim.getMetadata().getUid(),
                claim.getMetadata().getName()));
      }
    }
    return Optional.of(claims);
  }

  private void markRunning(Pod pod) {
    String now = Instant.now().toString();
    List<PodCondition> conditions = new ArrayList<>();
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      pod.getStatus().getConditions().stream()
          .filter(c -> !RUNNING_CONDITIONS.contains(c.getType()))
          .forEach(conditions::add);
    }
    RUNNING_CONDITIONS.stream()
        .sorted()
        .forEach(
            type ->
                conditions.add(
                    new PodConditionBuilder()
                        .withType(type)
                        .withStatus("True")
                        .withLastTransitionTime(now)
                        .build()));
    List<ContainerStatus> containers =
        pod.getSpec().getContainers().stream()
            .map(
                c ->
                    new ContainerStatusBuilder()
                        .withName(c.getName())
                        .withImage(c.getImage())
                        .withImageID("")
                        .withReady(true)
                        .withStarted(true)
                        .withRestartCount(0)
                        .withNewState()
                        .withNewRunning()
                        .withStartedAt(now)
                        .endRunning()
                        .endState()
                        .build())
            .toList();
    client
        .pods()
        .inNamespace(pod.getMetadata().getNamespace())
        .withName(pod.getMetadata().getName())
        .editStatus(
            current ->
                new PodBuilder(current)
                    .editOrNewStatus()
                    .withPhase("Running")
                    .withStartTime(now)
                    .withConditions(conditions)
                    .withContainerStatuses(containers)
                    .endStatus()
                    .build());
  }
}
