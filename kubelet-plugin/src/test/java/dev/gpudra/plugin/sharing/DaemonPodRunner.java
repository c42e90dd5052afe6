package dev.gpudra.plugin.sharing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What a kubelet does for the MPS daemon pods of a node, against the fabric8 mock API server: runs
 * each new pod's one container as a host process (its command, its environment), reports the pod
 * {@code Running} (and {@code Succeeded} once the process exited 0), and kills the process of a pod
 * that was deleted. Host paths need no mounting: the test's paths are the host's.
 */
final class DaemonPodRunner implements AutoCloseable {

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, Process> processes = new ConcurrentHashMap<>();
  private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();

  DaemonPodRunner(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    var unused = loop.scheduleWithFixedDelay(this::sync, 0, 50, TimeUnit.MILLISECONDS);
  }

  /** The process of the pod with {@code uid}, if it was started. */
  Process process(String uid) {
    return processes.get(uid);
  }

  private void sync() {
    try {
      List<Pod> pods = client.pods().inNamespace(namespace).list().getItems();
      Set<String> present = new HashSet<>();
      for (Pod pod : pods) {
        String uid = pod.getMetadata().getUid();
        present.add(uid);
        Process process = processes.get(uid);
        if (process == null) {
          process = start(pod.getSpec().getContainers().getFirst());
          processes.put(uid, process);
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (process.isAlive() && !"Running".equals(phase)) {
          phase(pod, "Running");
        } else if (!process.isAlive() && process.exitValue() == 0 && !"Succeeded".equals(phase)) {
          phase(pod, "Succeeded");
        }
      }
      processes.forEach(
          (uid, process) -> {
            if (!present.contains(uid)) {
              process.destroyForcibly();
            }
          });
    } catch (RuntimeException e) {
      // The next round tries again.
    }
  }

  private static Process start(Container container) {
    ProcessBuilder builder = new ProcessBuilder(container.getCommand());
    for (EnvVar var : container.getEnv()) {
      builder.environment().put(var.getName(), var.getValue());
    }
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void phase(Pod pod, String phase) {
    pod.setStatus(new PodStatusBuilder().withPhase(phase).build());
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  @Override
  public void close() {
    loop.shutdownNow();
    processes.values().forEach(Process::destroyForcibly);
  }
}
