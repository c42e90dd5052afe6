package dev.gpudra.plugin.sharing;

import dev.gpudra.core.config.EnvReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * How the node's MPS control daemons run, read from the plugin's environment: as pods that outlive
 * the plugin ({@code pod}, what the chart sets; needs the plugin's image and namespace) or as the
 * plugin's child processes ({@code process}, the default outside a cluster and on emulated nodes).
 *
 * @param form {@value #DAEMON}: {@code pod} or {@code process}
 * @param image {@value #IMAGE}: the plugin's image, which the daemon pods run; required for pods
 * @param namespace {@value #NAMESPACE}: the plugin's namespace, where the daemon pods live;
 *     required for pods
 * @param hostPaths {@value #HOST_PATHS}: host directories a daemon pod also mounts at the same path
 *     (comma-separated; the chart names a fake node's mock state here)
 * @param passedEnv the plugin's {@code GPUDRA_MOCK_*} variables, which a daemon pod gets too (a
 *     fake node's mock driver tools find their state through them)
 * @param priorityClass {@value #PRIORITY_CLASS}: the daemon pods' priority class (the chart gives
 *     them the plugin's, so that the kubelet does not evict a daemon whose clients run); none for
 *     the cluster's default
 */
public record MpsDaemonConfig(
    String form,
    Optional<String> image,
    Optional<String> namespace,
    List<String> hostPaths,
    Map<String, String> passedEnv,
    Optional<String> priorityClass) {

  public static final String DAEMON = "GPUDRA_MPS_DAEMON";
  public static final String IMAGE = "GPUDRA_IMAGE";
  public static final String NAMESPACE = "POD_NAMESPACE";
  public static final String HOST_PATHS = "GPUDRA_MPS_DAEMON_HOST_PATHS";
  public static final String PRIORITY_CLASS = "GPUDRA_MPS_DAEMON_PRIORITY_CLASS";

  /** The variables passed on to a daemon pod start with this. */
  public static final String PASSED_PREFIX = "GPUDRA_MOCK_";

  /** Validates: a known form; pods need an image and a namespace; host paths absolute. */
  public MpsDaemonConfig {
    Objects.requireNonNull(form, "form");
    if (!form.equals("pod") && !form.equals("process")) {
      throw new IllegalArgumentException(DAEMON + " must be pod or process, got: " + form);
    }
    if (form.equals("pod") && image.isEmpty()) {
      throw new IllegalArgumentException(
          IMAGE + " must name the plugin's image when " + DAEMON + " is pod");
    }
    if (form.equals("pod") && namespace.isEmpty()) {
      throw new IllegalArgumentException(
          NAMESPACE + " must name the plugin's namespace when " + DAEMON + " is pod");
    }
    hostPaths = List.copyOf(hostPaths);
    for (String path : hostPaths) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException(HOST_PATHS + " must list absolute paths, got: " + path);
      }
    }
    passedEnv = Map.copyOf(passedEnv);
    Objects.requireNonNull(priorityClass, "priorityClass");
  }

  /** Whether daemons run as pods. */
  public boolean pods() {
    return form.equals("pod");
  }

  /**
   * Reads the keys from {@code env}.
   *
   * @throws IllegalArgumentException naming the key with an unusable value
   */
  public static MpsDaemonConfig fromEnv(Map<String, String> env) {
    EnvReader reader = new EnvReader(env);
    Map<String, String> passed = new TreeMap<>();
    env.forEach(
        (key, value) -> {
          if (key.startsWith(PASSED_PREFIX)) {
            passed.put(key, value);
          }
        });
    return new MpsDaemonConfig(
        reader.string(DAEMON, "process").strip(),
        reader.string(IMAGE),
        reader.string(NAMESPACE),
        reader.list(HOST_PATHS, Set.of()).stream().map(String::strip).sorted().toList(),
        passed,
        reader.string(PRIORITY_CLASS).map(String::strip).filter(c -> !c.isEmpty()));
  }

  /** The effective settings for the start-up log line. */
  public Map<String, String> effective() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(DAEMON, form);
    m.put(IMAGE, image.orElse(""));
    m.put(NAMESPACE, namespace.orElse(""));
    m.put(HOST_PATHS, String.join(",", hostPaths));
    m.put(PRIORITY_CLASS, priorityClass.orElse(""));
    return m;
  }
}
