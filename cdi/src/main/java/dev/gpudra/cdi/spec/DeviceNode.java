package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A device node a container receives ({@code deviceNodes[]} in a CDI spec).
 *
 * <p>Our specs give {@code type}, {@code major} and {@code minor} for every node. A runtime then
 * needs nothing from the host's {@code /dev} to create the node in the container, so a node whose
 * host file is not there yet is still injected correctly instead of being silently dropped.
 *
 * @param path path in the container
 * @param hostPath path on the host when it differs from {@code path} (needs CDI 0.5.0), else null
 * @param type node type, null to let the runtime read it from the host
 * @param major major number, null when {@code type} is null
 * @param minor minor number, null when {@code type} is null
 * @param fileMode permission bits of the node in the container, null for the host's
 * @param permissions cgroup access, a non-empty subset of {@code rwm}; null means {@code rwm}
 * @param uid owner in the container, null for the runtime default
 * @param gid group in the container, null for the runtime default
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "path",
  "hostPath",
  "type",
  "major",
  "minor",
  "fileMode",
  "permissions",
  "uid",
  "gid"
})
public record DeviceNode(
    String path,
    String hostPath,
    DeviceType type,
    Long major,
    Long minor,
    Integer fileMode,
    String permissions,
    Long uid,
    Long gid) {

  private static final long MAX_ID = 0xffff_ffffL;

  /** Validates every field as the reference CDI implementation would, and a bit stricter. */
  public DeviceNode {
    ContainerPaths.requireAbsolute(path, "device node path");
    if (hostPath != null) {
      ContainerPaths.requireAbsolute(hostPath, "device node hostPath");
    }
    if (type == null && (major != null || minor != null)) {
      throw new IllegalArgumentException(
          "device node " + path + ": major/minor given without a type");
    }
    if (type == DeviceType.CHAR || type == DeviceType.BLOCK) {
      // A zero major makes runtimes fall back to stat()ing the host node, which is exactly the
      // dependency on host state that fully specified nodes exist to avoid.
      if (major == null || minor == null || major <= 0 || minor < 0) {
        throw new IllegalArgumentException(
            "device node " + path + ": a char/block node needs major > 0 and minor >= 0");
      }
    }
    if (fileMode != null && (fileMode < 0 || fileMode > 07777)) {
      throw new IllegalArgumentException("device node " + path + ": bad fileMode " + fileMode);
    }
    if (permissions != null
        && (permissions.isEmpty() || !permissions.chars().allMatch(c -> "rwm".indexOf(c) >= 0))) {
      throw new IllegalArgumentException(
          "device node " + path + ": permissions must be a subset of \"rwm\": " + permissions);
    }
    if ((uid != null && (uid < 0 || uid > MAX_ID)) || (gid != null && (gid < 0 || gid > MAX_ID))) {
      throw new IllegalArgumentException(
          "device node " + path + ": uid/gid must be 32-bit unsigned");
    }
  }

  /** A character device at the same path in the host and the container. */
  public static DeviceNode charDevice(String path, long major, long minor) {
    return new DeviceNode(path, null, DeviceType.CHAR, major, minor, null, null, null, null);
  }
}
