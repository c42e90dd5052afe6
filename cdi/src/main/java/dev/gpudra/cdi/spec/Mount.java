package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * A mount a container receives ({@code mounts[]} in a CDI spec).
 *
 * @param hostPath source on the host
 * @param containerPath destination in the container
 * @param options mount options, e.g. {@code ro, nosuid, nodev, bind}
 * @param type filesystem type (needs CDI 0.4.0), null for a bind mount
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"hostPath", "containerPath", "options", "type"})
public record Mount(String hostPath, String containerPath, List<String> options, String type) {

  /** Read-only bind mount options for driver files, as the NVIDIA container toolkit uses. */
  public static final List<String> READ_ONLY_BIND = List.of("ro", "nosuid", "nodev", "bind");

  /** Validates paths and copies the option list. */
  public Mount {
    ContainerPaths.requireAbsolute(hostPath, "mount hostPath");
    ContainerPaths.requireAbsolute(containerPath, "mount containerPath");
    options = options == null ? List.of() : List.copyOf(options);
    if (options.stream().anyMatch(o -> o.isEmpty() || o.indexOf(',') >= 0)) {
      throw new IllegalArgumentException("mount " + containerPath + ": empty or compound option");
    }
    if (type != null && type.isEmpty()) {
      type = null;
    }
  }

  /** A bind mount of {@code hostPath} at {@code containerPath} with the given options. */
  public static Mount bind(String hostPath, String containerPath, List<String> options) {
    return new Mount(hostPath, containerPath, options, null);
  }
}
