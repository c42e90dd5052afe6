package dev.gpudra.e2e.realnode;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The examples' pods on fake-GPU nodes: each container's image (CUDA, with {@code nvidia-smi},
 * which needs a real GPU) becomes the offline busybox image, and its command prints what the
 * container sees: {@code ls -l} of every {@code /dev/nvidia*} device node, the MPS mounts, and the
 * GPU-related environment, then sleeps (in a Deployment: its pod template's containers). Everything
 * else of the example (claims, templates, requests) is applied as users read it. {@link #devices}
 * parses that output back.
 */
public final class PrintingWorkload {

  /** The line before the environment a printing container lists. */
  public static final String ENV = "--- env";

  /** The last line a printing container writes before it sleeps. */
  public static final String END = "--- end";

  /** The line before the MPS mounts a printing container lists. */
  public static final String MOUNTS = "--- mounts";

  // An MPS client (CUDA_MPS_PIPE_DIRECTORY set) also connects to its daemon through the pipe, as
  // CUDA would, telling the mock daemon its limits; in the background, so that a daemon that
  // does not read its pipe never stops the printing.
  private static final String SCRIPT =
      "ls -l /dev/nvidia* /dev/nvidia-caps/* 2>/dev/null; echo '"
          + MOUNTS
          + "'; grep -E ' (/tmp/nvidia-mps|/dev/shm) ' /proc/mounts;"
          + " ls -l /tmp/nvidia-mps 2>/dev/null; echo '--- env';"
          + " env | grep -E '^(NVIDIA|GPUDRA|CUDA)' | sort;"
          + " if [ -p \"${CUDA_MPS_PIPE_DIRECTORY:-/none}/control\" ]; then"
          + " (echo \"gpudra_mock_client 0 ${CUDA_MPS_ACTIVE_THREAD_PERCENTAGE:--}"
          + " ${CUDA_MPS_PINNED_DEVICE_MEM_LIMIT:--}\" > \"$CUDA_MPS_PIPE_DIRECTORY/control\" &);"
          + " fi; echo '"
          + END
          + "'; exec sleep 2147483647";

  /** One line of {@code ls -l} of a character device: mode, links, owner, group, major, minor. */
  private static final Pattern DEVICE =
      Pattern.compile("^c\\S*\\s+\\d+\\s+\\S+\\s+\\S+\\s+(\\d+),\\s*(\\d+)\\s+.*\\s(/dev/\\S+)$");

  /**
   * A device node a container listed.
   *
   * @param path its path in the container
   * @param major its major number
   * @param minor its minor number
   */
  public record DeviceNode(String path, int major, int minor) {
    @Override
    public String toString() {
      return path + " " + major + ":" + minor;
    }
  }

  private PrintingWorkload() {}

  /**
   * {@code object} with every container of a pod replaced as described; other objects as they are.
   */
  public static HasMetadata adapt(HasMetadata object) {
    if (object instanceof Pod pod) {
      adapt(pod.getSpec());
    } else if (object instanceof Deployment deployment) {
      adapt(deployment.getSpec().getTemplate().getSpec());
    }
    return object;
  }

  private static void adapt(PodSpec spec) {
    for (Container container : spec.getContainers()) {
      container.setImage(OfflineImages.WORKLOAD);
      container.setImagePullPolicy("IfNotPresent");
      container.setCommand(List.of("/bin/sh", "-c", SCRIPT));
      container.setArgs(List.of());
    }
    spec.setTerminationGracePeriodSeconds(1L);
  }

  /**
   * The environment a printing container's log lists ({@code NVIDIA*}, {@code GPUDRA*}, {@code
   * CUDA*}), as {@code NAME=value} lines in the order printed.
   */
  public static List<String> environment(String log) {
    List<String> lines = log.lines().map(String::strip).toList();
    int from = lines.indexOf(ENV);
    int to = lines.indexOf(END);
    return from < 0 || to < from ? List.of() : List.copyOf(lines.subList(from + 1, to));
  }

  /**
   * What a printing container lists between {@link #MOUNTS} and its environment: the {@code
   * /proc/mounts} lines of {@code /tmp/nvidia-mps} and {@code /dev/shm}, then {@code ls -l} of the
   * MPS pipe directory.
   */
  public static List<String> mounts(String log) {
    List<String> lines = log.lines().map(String::strip).toList();
    int from = lines.indexOf(MOUNTS);
    int to = lines.indexOf(ENV);
    return from < 0 || to < from ? List.of() : List.copyOf(lines.subList(from + 1, to));
  }

  /** Whether {@code pod} is Running and its container has printed everything ({@link #END}). */
  public static boolean printed(KubernetesClient client, Pod pod) {
    if (pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
      return false;
    }
    String log = log(client, pod);
    return log != null && log.contains(END);
  }

  /** What {@code pod}'s container has printed so far; null when it has no log yet. */
  public static String log(KubernetesClient client, Pod pod) {
    return client
        .pods()
        .inNamespace(pod.getMetadata().getNamespace())
        .withName(pod.getMetadata().getName())
        .getLog();
  }

  /** The device nodes in a printing container's log. */
  public static List<DeviceNode> devices(String log) {
    List<DeviceNode> devices = new ArrayList<>();
    for (String line : log.lines().toList()) {
      Matcher m = DEVICE.matcher(line.strip());
      if (m.matches()) {
        devices.add(
            new DeviceNode(m.group(3), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
      }
    }
    return devices;
  }
}
