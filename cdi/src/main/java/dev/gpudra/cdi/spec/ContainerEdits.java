package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * Changes a runtime applies to a container's OCI spec ({@code containerEdits} in a CDI spec).
 *
 * @param env {@code KEY=value} entries
 * @param deviceNodes device nodes to create
 * @param hooks hooks to run
 * @param mounts mounts to add
 * @param additionalGids supplementary groups of the container process (needs CDI 0.7.0)
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"env", "deviceNodes", "hooks", "mounts", "additionalGids"})
public record ContainerEdits(
    List<String> env,
    List<DeviceNode> deviceNodes,
    List<Hook> hooks,
    List<Mount> mounts,
    List<Long> additionalGids) {

  /** No edits at all. */
  public static final ContainerEdits NONE =
      new ContainerEdits(List.of(), List.of(), List.of(), List.of(), List.of());

  /** Validates and copies; two device nodes or mounts at one container path are refused. */
  public ContainerEdits {
    env = Env.requireValid(env, "env");
    deviceNodes = deviceNodes == null ? List.of() : List.copyOf(deviceNodes);
    hooks = hooks == null ? List.of() : List.copyOf(hooks);
    mounts = mounts == null ? List.of() : List.copyOf(mounts);
    additionalGids = additionalGids == null ? List.of() : List.copyOf(additionalGids);
    for (long gid : additionalGids) {
      if (gid < 0 || gid > 0xffffffffL) {
        throw new IllegalArgumentException("additionalGids must be 32-bit unsigned");
      }
    }
    // Runtimes let a later node or mount at the same path replace an earlier one; a duplicate in
    // our own output would be a builder bug that silently drops a device.
    List<String> nodePaths = new ArrayList<>(deviceNodes.size());
    for (DeviceNode node : deviceNodes) {
      nodePaths.add(node.path());
    }
    requireUnique(nodePaths, "device node path");
    List<String> mountPaths = new ArrayList<>(mounts.size());
    for (Mount mount : mounts) {
      mountPaths.add(mount.containerPath());
    }
    requireUnique(mountPaths, "mount containerPath");
  }

  /** True when applying these edits would change nothing. */
  @JsonIgnore
  public boolean isEmpty() {
    return env.isEmpty()
        && deviceNodes.isEmpty()
        && hooks.isEmpty()
        && mounts.isEmpty()
        && additionalGids.isEmpty();
  }

  /** These edits followed by {@code other}'s, in that order. */
  public ContainerEdits plus(ContainerEdits other) {
    return new ContainerEdits(
        concat(env, other.env),
        concat(deviceNodes, other.deviceNodes),
        concat(hooks, other.hooks),
        concat(mounts, other.mounts),
        concat(additionalGids, other.additionalGids));
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static void requireUnique(List<String> paths, String what) {
    if (paths.size() > 1 && new HashSet<>(paths).size() != paths.size()) {
      throw new IllegalArgumentException("duplicate " + what + " in " + paths);
    }
  }
}
