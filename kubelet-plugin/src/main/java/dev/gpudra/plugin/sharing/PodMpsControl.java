package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.MpsRecord;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MPS control daemons as pods the plugin creates on its own node ({@link MpsDaemonPods}), one per
 * GPU, so that a daemon and its clients outlive a restart, crash or upgrade of the plugin: a new
 * plugin adopts the pod it finds running and answering (the pod's uid stays, its clients never
 * notice). The compute mode, directories and front-end commands are {@link MpsGpuSetup}'s; the
 * front-end reaches a daemon in another container through the pipe directory both mount.
 *
 * <p>A node reboot ends the daemon with everything else; the compute mode resets with it, and
 * start-up recovery ({@link MpsRecovery}) starts a daemon again for the claims the checkpoint
 * records. A pod the plugin cannot reach (deleted by someone, crashed past its restarts) is
 * replaced at the next {@link #ensure}. Calls for one GPU must not overlap; the start counters are
 * thread-safe.
 */
public final class PodMpsControl implements MpsControl {

  private static final Logger LOG = LoggerFactory.getLogger(PodMpsControl.class);
  private static final Duration POLL = Duration.ofMillis(200);

  /**
   * How long one list of this node's daemon pods answers {@link #running} for every GPU: a metrics
   * scrape asks for each GPU in turn, and one list per scrape is enough. A list taken before or
   * while {@link #ensure} or {@link #stop} ran is not reused after it, so that what they changed
   * shows at once.
   */
  static final Duration RUNNING_LIST_REUSE = Duration.ofSeconds(2);

  private record PodList(long listedAtNanos, long changesBefore, List<Pod> pods) {}

  private final KubernetesClient client;
  private final MpsDaemonPods pods;
  private final MpsGpuSetup setup;
  private final Duration startWait;
  private final Duration stopWait;
  private final Duration runningListReuse;
  private final Map<String, Integer> starts = new ConcurrentHashMap<>();
  private final AtomicReference<PodList> recentList = new AtomicReference<>();
  private final AtomicLong changes = new AtomicLong();

  /**
   * @param client the API server, allowed to create, list and delete pods in {@code pods}'
   *     namespace
   * @param pods what the daemon pods look like
   * @param setup the GPUs' compute mode, directories and front-end
   * @param startWait how long a new pod may take until its daemon answers (an image may be pulled)
   * @param stopWait how long a pod may take to go after it is deleted
   */
  public PodMpsControl(
      KubernetesClient client,
      MpsDaemonPods pods,
      MpsGpuSetup setup,
      Duration startWait,
      Duration stopWait) {
    this(client, pods, setup, startWait, stopWait, RUNNING_LIST_REUSE);
  }

  /**
   * As the public constructor, with {@code runningListReuse} in place of {@link
   * #RUNNING_LIST_REUSE}.
   */
  PodMpsControl(
      KubernetesClient client,
      MpsDaemonPods pods,
      MpsGpuSetup setup,
      Duration startWait,
      Duration stopWait,
      Duration runningListReuse) {
    this.runningListReuse = Objects.requireNonNull(runningListReuse, "runningListReuse");
    this.client = Objects.requireNonNull(client, "client");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.setup = Objects.requireNonNull(setup, "setup");
    this.startWait = Objects.requireNonNull(startWait, "startWait");
    this.stopWait = Objects.requireNonNull(stopWait, "stopWait");
  }

  @Override
  public boolean ensure(MpsRecord daemon) throws DriverToolException {
    String gpu = daemon.gpuUuid();
    changes.incrementAndGet();
    try {
      List<Pod> existing = podsOf(gpu);
      if (existing.stream().anyMatch(PodMpsControl::live) && answers(gpu)) {
        LOG.debug("MPS control daemon pod of GPU {} adopted", gpu);
        return false;
      }
      // A pod that is not running and answering (failed, terminating, its pipe directory gone)
      // is replaced: clients cannot reach it anyway.
      deleteAndAwaitGone(gpu, existing);
      setup.prepare(gpu);
      Path control =
          setup
              .tools()
              .find(MpsGpuSetup.CONTROL)
              .orElseThrow(
                  () ->
                      new DriverToolException(
                          MpsGpuSetup.CONTROL + " not found in the driver root", null));
      Pod pod =
          pods.pod(
              gpu,
              control,
              setup.daemonEnv(gpu),
              setup.tools().libraryPath(),
              setup.dirs().gpu(gpu),
              setup.dirs().shm(gpu));
      Pod created = client.pods().inNamespace(pods.namespace()).resource(pod).create();
      starts.merge(gpu, 1, Integer::sum);
      awaitAnswer(gpu);
      // Defaults apply to the next server the daemon starts, which is at its first client: now.
      setup.setDefaults(daemon);
      LOG.info(
          "MPS control daemon of GPU {} started in pod {}/{} (uid {}), pipe {}",
          gpu,
          pods.namespace(),
          created.getMetadata().getName(),
          created.getMetadata().getUid(),
          setup.dirs().pipe(gpu));
      return true;
    } catch (DriverToolException | RuntimeException e) {
      throw MpsGpuSetup.undone(this, gpu, "starting the MPS daemon pod of GPU " + gpu, e);
    } finally {
      changes.incrementAndGet();
    }
  }

  @Override
  public void stop(String gpu) throws DriverToolException {
    changes.incrementAndGet();
    try {
      stopDaemon(gpu);
    } finally {
      changes.incrementAndGet();
    }
  }

  private void stopDaemon(String gpu) throws DriverToolException {
    List<Pod> existing;
    try {
      existing = podsOf(gpu);
    } catch (KubernetesClientException e) {
      throw new DriverToolException(
          "listing the MPS daemon pods of GPU " + gpu + " failed: " + e.getMessage(), e);
    }
    if (existing.isEmpty() && !setup.hasDirectory(gpu)) {
      return;
    }
    if (existing.stream().anyMatch(PodMpsControl::live) && setup.controlPipe(gpu)) {
      try {
        setup.send(gpu, "quit\n");
      } catch (DriverToolException e) {
        LOG.warn(
            "quit of the MPS daemon of GPU {} failed, deleting its pod: {}", gpu, e.getMessage());
      }
    }
    try {
      deleteAndAwaitGone(gpu, existing);
    } catch (KubernetesClientException e) {
      throw new DriverToolException(
          "deleting the MPS daemon pod of GPU " + gpu + " failed: " + e.getMessage(), e);
    }
    setup.restore(gpu);
    LOG.info("MPS control daemon of GPU {} stopped, its pod gone; compute mode DEFAULT", gpu);
  }

  @Override
  public boolean running(String gpu) {
    try {
      return setup.controlPipe(gpu)
          && recentNodePods().stream()
              .filter(p -> pods.serves(p, gpu))
              .anyMatch(PodMpsControl::live);
    } catch (KubernetesClientException e) {
      LOG.debug("cannot list the MPS daemon pods of GPU {}: {}", gpu, e.getMessage());
      return false;
    }
  }

  @Override
  public List<String> present() {
    TreeSet<String> gpus = new TreeSet<>(setup.dirs().gpus());
    try {
      for (Pod pod : nodePods()) {
        String gpu = pods.gpuOf(pod);
        if (gpu != null) {
          gpus.add(gpu);
        }
      }
    } catch (KubernetesClientException e) {
      // With MPS off the chart grants no access to pods (403): only the directories can tell then,
      // and there is nothing to warn about.
      if (e.getCode() == 403) {
        LOG.debug("not allowed to list the MPS daemon pods of this node: {}", e.getMessage());
      } else {
        LOG.warn("cannot list the MPS daemon pods of this node: {}", e.getMessage());
      }
    }
    return List.copyOf(gpus);
  }

  @Override
  public int starts(String gpu) {
    return starts.getOrDefault(gpu, 0);
  }

  private List<Pod> nodePods() {
    return client
        .pods()
        .inNamespace(pods.namespace())
        .withLabels(pods.nodeSelector())
        .list()
        .getItems();
  }

  /** This node's daemon pods as listed at most {@code runningListReuse} ago. */
  private List<Pod> recentNodePods() {
    PodList recent = recentList.get();
    long now = System.nanoTime();
    if (recent != null
        && recent.changesBefore() == changes.get()
        && now - recent.listedAtNanos() < runningListReuse.toNanos()) {
      return recent.pods();
    }
    long changesBefore = changes.get();
    List<Pod> listed = nodePods();
    recentList.set(new PodList(now, changesBefore, listed));
    return listed;
  }

  private List<Pod> podsOf(String gpu) {
    return nodePods().stream().filter(p -> pods.serves(p, gpu)).toList();
  }

  /** Running and not being deleted. */
  private static boolean live(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() == null
        && pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase());
  }

  private boolean answers(String gpu) {
    if (!setup.controlPipe(gpu)) {
      return false;
    }
    try {
      setup.send(gpu, "get_default_active_thread_percentage\n");
      return true;
    } catch (DriverToolException e) {
      LOG.debug("the MPS daemon of GPU {} does not answer: {}", gpu, e.getMessage());
      return false;
    }
  }

  /** Waits until the new daemon answers its front-end; fails early when its pod failed. */
  private void awaitAnswer(String gpu) throws DriverToolException {
    long deadline = System.nanoTime() + startWait.toNanos();
    while (true) {
      if (answers(gpu)) {
        return;
      }
      List<Pod> now = podsOf(gpu);
      if (now.isEmpty()
          || now.stream()
              .anyMatch(p -> p.getStatus() != null && "Failed".equals(p.getStatus().getPhase()))) {
        throw new DriverToolException(
            "the MPS daemon pod of GPU " + gpu + " failed or disappeared before it answered", null);
      }
      if (System.nanoTime() > deadline) {
        throw new DriverToolException(
            "the MPS daemon pod of GPU " + gpu + " did not answer within " + startWait, null);
      }
      sleep();
    }
  }

  private void deleteAndAwaitGone(String gpu, List<Pod> existing) throws DriverToolException {
    if (existing.isEmpty()) {
      return;
    }
    for (Pod pod : existing) {
      client.pods().inNamespace(pods.namespace()).withName(pod.getMetadata().getName()).delete();
    }
    long deadline = System.nanoTime() + stopWait.toNanos();
    while (!podsOf(gpu).isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new DriverToolException(
            "the MPS daemon pod of GPU " + gpu + " was not gone within " + stopWait, null);
      }
      sleep();
    }
  }

  private static void sleep() throws DriverToolException {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DriverToolException("interrupted while waiting for an MPS daemon pod", e);
    }
  }
}
