package dev.gpudra.plugin.sharing;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The pods that run MPS control daemons for {@link PodMpsControl}: one per GPU, on the plugin's
 * node ({@code nodeName}, so no scheduler is involved), in the plugin's namespace, from the
 * plugin's image, running the driver root's {@code nvidia-cuda-mps-control -f} in the foreground.
 * Privileged (the daemon opens the GPU's device nodes) with the host's PID and IPC namespaces, as
 * MPS servers and clients on one node share them; the driver root is mounted where the plugin sees
 * it, and the GPU's MPS directory at its host path, which is also where clients' CDI edits mount it
 * from. Pure: builds values, touches nothing.
 *
 * @param namespace the plugin's namespace
 * @param nodeName the plugin's node
 * @param image the plugin's image
 * @param driverRoot the driver root as the plugin (and the daemon) sees it
 * @param hostDriverRoot the same directory on the host
 * @param extraEnv variables the daemon gets besides its own (a fake node's mock state)
 * @param extraHostPaths host directories mounted at the same paths (a fake node's mock state)
 * @param priorityClassName the pods' priority class, if any
 */
public record MpsDaemonPods(
    String namespace,
    String nodeName,
    String image,
    Path driverRoot,
    String hostDriverRoot,
    Map<String, String> extraEnv,
    List<String> extraHostPaths,
    Optional<String> priorityClassName) {

  /** The component label of every daemon pod. */
  public static final String COMPONENT = "mps-control-daemon";

  /** The label naming the GPU a pod serves (sanitised as a label value). */
  public static final String GPU_LABEL = "gpu.gpudra.dev/uuid";

  /** The label naming the pod's node (sanitised as a label value). */
  public static final String NODE_LABEL = "gpu.gpudra.dev/node";

  /** The annotation with the GPU's UUID exactly (a label value may be shortened). */
  public static final String GPU_ANNOTATION = "gpu.gpudra.dev/uuid";

  private static final String COMPONENT_LABEL = "app.kubernetes.io/component";

  /** Copies; requires every field. */
  public MpsDaemonPods {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(driverRoot, "driverRoot");
    Objects.requireNonNull(hostDriverRoot, "hostDriverRoot");
    extraEnv = Map.copyOf(extraEnv);
    extraHostPaths = List.copyOf(extraHostPaths);
    Objects.requireNonNull(priorityClassName, "priorityClassName");
  }

  /** The labels that select this node's daemon pods. */
  public Map<String, String> nodeSelector() {
    return Map.of(COMPONENT_LABEL, COMPONENT, NODE_LABEL, labelValue(nodeName));
  }

  /** Whether {@code pod} is this node's daemon pod of GPU {@code gpu}. */
  public boolean serves(Pod pod, String gpu) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return pod.getSpec() != null
        && nodeName.equals(pod.getSpec().getNodeName())
        && annotations != null
        && gpu.equals(annotations.get(GPU_ANNOTATION));
  }

  /** The GPU this node's daemon pod {@code pod} serves, or null for another node's or none. */
  public String gpuOf(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    if (pod.getSpec() == null
        || !nodeName.equals(pod.getSpec().getNodeName())
        || annotations == null) {
      return null;
    }
    return annotations.get(GPU_ANNOTATION);
  }

  /** The name of GPU {@code gpu}'s daemon pod: fixed, so that two creations cannot both win. */
  public String name(String gpu) {
    String name = ("gpudra-mps-" + nodeName + "-" + gpu).toLowerCase(Locale.ROOT);
    name = name.replaceAll("[^a-z0-9.-]", "-");
    if (name.length() > 253) {
      name = name.substring(0, 253);
    }
    return name.replaceAll("[^a-z0-9]+$", "");
  }

  /**
   * GPU {@code gpu}'s daemon pod, running {@code control} (the driver root's control program, as
   * the plugin sees it) with {@code daemonEnv} and {@code libraryPath} as its {@code
   * LD_LIBRARY_PATH}, its MPS directory {@code gpuDir} mounted at the same path and the shared
   * memory of its clients, {@code shmDir}, at {@code /dev/shm}: an MPS server and its clients meet
   * in the same shared memory.
   */
  public Pod pod(
      String gpu,
      Path control,
      Map<String, String> daemonEnv,
      String libraryPath,
      Path gpuDir,
      Path shmDir) {
    Map<String, String> labels = new TreeMap<>(nodeSelector());
    labels.put(GPU_LABEL, labelValue(gpu));
    labels.put("app.kubernetes.io/managed-by", "gpudra-kubelet-plugin");
    Map<String, String> env = new TreeMap<>(extraEnv);
    env.putAll(daemonEnv);
    if (!libraryPath.isEmpty()) {
      env.put("LD_LIBRARY_PATH", libraryPath);
    }
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    mount(volumes, mounts, "driver-root", hostDriverRoot, driverRoot.toString(), true);
    mount(volumes, mounts, "mps", gpuDir.toString(), gpuDir.toString(), false);
    mount(volumes, mounts, "shm", shmDir.toString(), "/dev/shm", false);
    for (int i = 0; i < extraHostPaths.size(); i++) {
      String path = extraHostPaths.get(i);
      mount(volumes, mounts, "extra-" + i, path, path, false);
    }
    return new PodBuilder()
        .withNewMetadata()
        .withName(name(gpu))
        .withNamespace(namespace)
        .withLabels(labels)
        .withAnnotations(Map.of(GPU_ANNOTATION, gpu))
        .endMetadata()
        .withNewSpec()
        .withNodeName(nodeName)
        .withPriorityClassName(priorityClassName.orElse(null))
        // quit ends the daemon with status 0 and the pod stays down; a crash restarts it.
        .withRestartPolicy("OnFailure")
        .withHostPID(true)
        .withHostIPC(true)
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withTerminationGracePeriodSeconds(10L)
        // Stays on its node whatever taints the node gets, as the plugin does.
        .addNewToleration()
        .withOperator("Exists")
        .endToleration()
        .addNewContainer()
        .withName(COMPONENT)
        .withImage(image)
        .withImagePullPolicy("IfNotPresent")
        .withCommand(control.toString(), "-f")
        .withEnv(
            env.entrySet().stream().map(e -> new EnvVar(e.getKey(), e.getValue(), null)).toList())
        .withNewSecurityContext()
        .withPrivileged(true)
        .withRunAsUser(0L)
        .withRunAsGroup(0L)
        .endSecurityContext()
        .withVolumeMounts(mounts)
        .endContainer()
        .withVolumes(volumes)
        .endSpec()
        .build();
  }

  private static void mount(
      List<Volume> volumes,
      List<VolumeMount> mounts,
      String name,
      String hostPath,
      String mountPath,
      boolean readOnly) {
    volumes.add(
        new VolumeBuilder()
            .withName(name)
            .withNewHostPath()
            .withPath(hostPath)
            .withType("Directory")
            .endHostPath()
            .build());
    mounts.add(
        new VolumeMountBuilder()
            .withName(name)
            .withMountPath(mountPath)
            .withReadOnly(readOnly)
            .build());
  }

  /**
   * {@code value} as a label value: characters outside {@code [A-Za-z0-9._-]} become {@code -}, at
   * most 63 characters, starting and ending with a letter or digit.
   */
  static String labelValue(String value) {
    String v = value.replaceAll("[^A-Za-z0-9._-]", "-");
    if (v.length() > 63) {
      v = v.substring(0, 63);
    }
    return v.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
  }
}
