package dev.gpudra.core.config;

/** The two kinds of devices the driver publishes, as the {@code type} attribute names them. */
public enum DeviceType {
  GPU,
  MIG;

  /** The {@code type} attribute's value. */
  public String attributeValue() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
