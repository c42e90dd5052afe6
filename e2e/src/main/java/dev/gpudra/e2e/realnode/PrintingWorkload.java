package dev.gpudra.e2e.realnode;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The examples' pods on fake-GPU nodes: each container's image (CUDA, with {@code nvidia-smi},
 * which needs a real GPU) becomes the offline busybox image, and its command prints what the
 * container sees: {@code ls -l} of every {@code /dev/nvidia*} device node and the GPU-related
 * environment, then sleeps. Everything else of the example (claims, templates, requests) is applied
 * as users read it. {@link #devices} parses that output back.
 */
public final class PrintingWorkload {

  /** The last line a printing container writes before it sleeps. */
  public static final String END = "--- end";

  private static final String SCRIPT =
      "ls -l /dev/nvidia* /dev/nvidia-caps/* 2>/dev/null; echo '--- env';"
          + " env | grep -E '^(NVIDIA|GPUDRA|CUDA)' | sort; echo '"
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
      for (Container container : pod.getSpec().getContainers()) {
        container.setImage(OfflineImages.WORKLOAD);
        container.setImagePullPolicy("IfNotPresent");
        container.setCommand(List.of("/bin/sh", "-c", SCRIPT));
        container.setArgs(List.of());
      }
      pod.getSpec().setTerminationGracePeriodSeconds(1L);
    }
    return object;
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
