package dev.gpudra.core.config;

import java.util.Objects;
import java.util.Set;

/**
 * The sharing strategies this node applies. A claim asking for another one fails with a message
 * that says which strategy and how to get it, instead of being prepared without the sharing it
 * asked for.
 *
 * @param enabled strategy names ({@code Exclusive}, {@code TimeSlicing}, {@code MPS})
 * @param configKey the configuration key that lists them, named in the message
 */
public record NodeSharingPolicy(Set<String> enabled, String configKey) {

  /** Strategies this version of the plugin can apply. */
  public static final Set<String> IMPLEMENTED = Set.of("Exclusive", "TimeSlicing", "MPS");

  /** Copies and validates. */
  public NodeSharingPolicy {
    enabled = Set.copyOf(enabled);
    Objects.requireNonNull(configKey, "configKey");
    if (!enabled.contains("Exclusive")) {
      throw new IllegalArgumentException("Exclusive cannot be disabled");
    }
  }

  /** Only {@code Exclusive}. */
  public static NodeSharingPolicy exclusiveOnly(String configKey) {
    return new NodeSharingPolicy(Set.of("Exclusive"), configKey);
  }

  /**
   * @throws InvalidConfigException when {@code config}'s strategy is not enabled here
   */
  public void check(DeviceConfig config, String deviceName) {
    String strategy = config.sharing().strategy();
    if (enabled.contains(strategy)) {
      return;
    }
    String how =
        IMPLEMENTED.contains(strategy)
            ? "add " + strategy + " to " + configKey + " in the plugin's configuration"
            : "this plugin version does not implement it yet; use strategy Exclusive, or run a"
                + " version that implements "
                + strategy
                + " and add it to "
                + configKey;
    throw new InvalidConfigException(
        "sharing.strategy",
        "sharing strategy "
            + strategy
            + " requested for device "
            + deviceName
            + " is not enabled on this node (enabled: "
            + String.join(", ", enabled.stream().sorted().toList())
            + "); "
            + how);
  }
}
