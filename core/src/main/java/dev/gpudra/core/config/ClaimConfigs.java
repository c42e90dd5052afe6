package dev.gpudra.core.config;

import dev.gpudra.core.names.DriverNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoded configurations of one claim's allocation, ready to answer "which configuration holds
 * for this allocated device". Pure and immutable.
 *
 * <p>Precedence, as the DRA API defines it: class configurations are weaker than claim
 * configurations, and within one source a later entry beats an earlier one. Entries for other
 * drivers are ignored. An entry naming no requests applies to every device of its kind (a {@code
 * GpuConfig} to full GPUs, a {@code MigDeviceConfig} to MIG devices); an entry naming a request
 * must fit the type of every device allocated for it, otherwise the claim fails rather than
 * silently running with defaults.
 */
public final class ClaimConfigs {

  private record Entry(int index, AllocatedConfig raw, DeviceConfig config) {}

  private final List<Entry> byPrecedence;

  private ClaimConfigs(List<Entry> byPrecedence) {
    this.byPrecedence = List.copyOf(byPrecedence);
  }

  /**
   * Decodes every configuration for our driver, so that a broken one fails the claim even where it
   * would not apply to any device.
   *
   * @throws InvalidConfigException naming the entry ({@code config[i]}) and the field
   */
  public static ClaimConfigs decode(List<AllocatedConfig> configs) {
    List<Entry> fromClass = new ArrayList<>();
    List<Entry> fromClaim = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      AllocatedConfig raw = configs.get(i);
      if (!DriverNames.DRIVER.equals(raw.driver())) {
        continue;
      }
      DeviceConfig decoded;
      try {
        decoded = OpaqueConfigDecoder.decode(raw.parametersJson());
      } catch (InvalidConfigException e) {
        String at = "config[" + i + "].opaque.parameters";
        throw new InvalidConfigException(
            e.field().isEmpty() ? at : at + "." + e.field(),
            "(" + raw.source().apiName() + ") " + stripField(e));
      }
      Entry entry = new Entry(i, raw, decoded);
      (raw.source() == ConfigSource.FROM_CLASS ? fromClass : fromClaim).add(entry);
    }
    List<Entry> ordered = new ArrayList<>(fromClass);
    ordered.addAll(fromClaim);
    return new ClaimConfigs(ordered);
  }

  /** No configuration at all: every device gets its type's default. */
  public static ClaimConfigs none() {
    return new ClaimConfigs(List.of());
  }

  /**
   * The configuration for a device of {@code type} allocated for {@code request}.
   *
   * @throws InvalidConfigException when an entry names the request but is for the other device type
   */
  public DeviceConfig configFor(String request, DeviceType type, String deviceName) {
    DeviceConfig chosen = DeviceConfig.defaultFor(type);
    for (Entry e : byPrecedence) {
      if (!e.raw().appliesTo(request)) {
        continue;
      }
      if (e.config().deviceType() != type) {
        if (e.raw().requests().isEmpty()) {
          continue;
        }
        throw new InvalidConfigException(
            "config[" + e.index() + "].opaque.parameters.kind",
            e.config().kind()
                + " cannot apply to device "
                + deviceName
                + " of type "
                + type.attributeValue()
                + " allocated for request "
                + request);
      }
      chosen = e.config();
    }
    return chosen;
  }

  private static String stripField(InvalidConfigException e) {
    String prefix = "field " + e.field() + ": ";
    String m = e.getMessage();
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
