package dev.gpudra.core.config;

/** Where an allocated configuration came from; a claim's own configuration beats its class's. */
public enum ConfigSource {
  FROM_CLASS("FromClass"),
  FROM_CLAIM("FromClaim");

  private final String apiName;

  ConfigSource(String apiName) {
    this.apiName = apiName;
  }

  /** Spelling in {@code status.allocation.devices.config[].source}. */
  public String apiName() {
    return apiName;
  }

  /** The source spelled {@code name}. */
  public static ConfigSource fromApiName(String name) {
    for (ConfigSource s : values()) {
      if (s.apiName.equals(name)) {
        return s;
      }
    }
    throw new InvalidConfigException("source", "must be FromClass or FromClaim, got " + name);
  }
}
