package dev.gpudra.core.config;

import dev.gpudra.core.names.DriverNames;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Decodes the {@code parameters} of an opaque configuration for our driver, strictly: every field
 * must be known, of the right JSON type and in range, and the whole document is checked before
 * anything is returned. A config that would be half-understood is rejected rather than partly
 * applied. Pure and thread-safe.
 *
 * <p>Shape:
 *
 * <pre>
 * apiVersion: gpu.gpudra.dev/v1
 * kind: GpuConfig | MigDeviceConfig
 * sharing:                       # optional, default Exclusive
 *   strategy: Exclusive | TimeSlicing | MPS
 *   timeSlicingConfig:           # TimeSlicing only (GpuConfig only)
 *     interval: Default | Short | Medium | Long
 *   mpsConfig:                   # MPS only
 *     defaultActiveThreadPercentage: 0..100
 *     defaultPinnedDeviceMemoryLimit: quantity >= 1Mi
 *     perDevicePinnedMemoryLimits: {"&lt;index or UUID&gt;": quantity >= 1Mi}
 * </pre>
 */
public final class OpaqueConfigDecoder {

  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  // A device index within the claim, or a GPU/MIG UUID.
  private static final Pattern DEVICE_KEY =
      Pattern.compile(
          "[0-9]{1,2}|(GPU|MIG)-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private OpaqueConfigDecoder() {}

  /**
   * Decodes {@code json}, the parameters object.
   *
   * @throws InvalidConfigException naming the first offending field
   */
  public static DeviceConfig decode(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JacksonException e) {
      throw new InvalidConfigException(
          "", "parameters are not valid JSON: " + e.getOriginalMessage());
    }
    return decode(root);
  }

  /** Decodes an already parsed parameters object. */
  public static DeviceConfig decode(JsonNode root) {
    requireObject(root, "");
    onlyFields(root, "", Set.of("apiVersion", "kind", "sharing"));
    String apiVersion = requiredString(root, "apiVersion", "apiVersion");
    if (!DriverNames.CONFIG_API_VERSION.equals(apiVersion)) {
      throw new InvalidConfigException(
          "apiVersion", "must be " + DriverNames.CONFIG_API_VERSION + ", got " + quote(apiVersion));
    }
    String kind = requiredString(root, "kind", "kind");
    JsonNode sharingNode = root.get("sharing");
    SharingConfig sharing =
        sharingNode == null || sharingNode.isNull()
            ? new SharingConfig.Exclusive()
            : sharing(sharingNode);
    return switch (kind) {
      case "GpuConfig" -> new DeviceConfig.GpuConfig(sharing);
      case "MigDeviceConfig" -> {
        if (sharing instanceof SharingConfig.TimeSlicing) {
          throw new InvalidConfigException(
              "sharing.strategy",
              "MigDeviceConfig supports Exclusive and MPS, not TimeSlicing (a MIG device has no"
                  + " time-slice policy)");
        }
        yield new DeviceConfig.MigDeviceConfig(sharing);
      }
      default ->
          throw new InvalidConfigException(
              "kind", "must be GpuConfig or MigDeviceConfig, got " + quote(kind));
    };
  }

  private static SharingConfig sharing(JsonNode node) {
    requireObject(node, "sharing");
    onlyFields(node, "sharing", Set.of("strategy", "timeSlicingConfig", "mpsConfig"));
    String strategy = requiredString(node, "strategy", "sharing.strategy");
    JsonNode ts = present(node.get("timeSlicingConfig"));
    JsonNode mps = present(node.get("mpsConfig"));
    return switch (strategy) {
      case "Exclusive" -> {
        forbid(ts, "sharing.timeSlicingConfig", strategy);
        forbid(mps, "sharing.mpsConfig", strategy);
        yield new SharingConfig.Exclusive();
      }
      case "TimeSlicing" -> {
        forbid(mps, "sharing.mpsConfig", strategy);
        yield new SharingConfig.TimeSlicing(ts == null ? TimeSliceInterval.DEFAULT : interval(ts));
      }
      case "MPS" -> {
        forbid(ts, "sharing.timeSlicingConfig", strategy);
        yield mps == null ? new SharingConfig.Mps(null, null, Map.of()) : mps(mps);
      }
      default ->
          throw new InvalidConfigException(
              "sharing.strategy", "must be Exclusive, TimeSlicing or MPS, got " + quote(strategy));
    };
  }

  private static TimeSliceInterval interval(JsonNode ts) {
    String path = "sharing.timeSlicingConfig";
    requireObject(ts, path);
    onlyFields(ts, path, Set.of("interval"));
    JsonNode interval = present(ts.get("interval"));
    if (interval == null) {
      return TimeSliceInterval.DEFAULT;
    }
    String name = string(interval, path + ".interval");
    return TimeSliceInterval.fromApiName(name)
        .orElseThrow(
            () ->
                new InvalidConfigException(
                    path + ".interval",
                    "must be Default, Short, Medium or Long, got " + quote(name)));
  }

  private static SharingConfig.Mps mps(JsonNode mps) {
    String path = "sharing.mpsConfig";
    requireObject(mps, path);
    onlyFields(
        mps,
        path,
        Set.of(
            "defaultActiveThreadPercentage",
            "defaultPinnedDeviceMemoryLimit",
            "perDevicePinnedMemoryLimits"));
    Integer percentage = null;
    JsonNode p = present(mps.get("defaultActiveThreadPercentage"));
    if (p != null) {
      String field = path + ".defaultActiveThreadPercentage";
      if (!p.isIntegralNumber() || !p.canConvertToInt()) {
        throw new InvalidConfigException(field, "must be an integer 0..100, got " + p);
      }
      percentage = p.intValue();
      if (percentage < 0 || percentage > 100) {
        throw new InvalidConfigException(field, "must be 0..100, got " + percentage);
      }
    }
    Long defaultLimit = null;
    JsonNode d = present(mps.get("defaultPinnedDeviceMemoryLimit"));
    if (d != null) {
      defaultLimit = memoryLimit(d, path + ".defaultPinnedDeviceMemoryLimit");
    }
    Map<String, Long> perDevice = new LinkedHashMap<>();
    JsonNode per = present(mps.get("perDevicePinnedMemoryLimits"));
    if (per != null) {
      String field = path + ".perDevicePinnedMemoryLimits";
      requireObject(per, field);
      for (Map.Entry<String, JsonNode> e : per.properties()) {
        String keyField = field + "[" + e.getKey() + "]";
        if (!DEVICE_KEY.matcher(e.getKey()).matches()) {
          throw new InvalidConfigException(
              keyField, "key must be a device index within the claim or a GPU/MIG UUID");
        }
        perDevice.put(e.getKey(), memoryLimit(e.getValue(), keyField));
      }
    }
    return new SharingConfig.Mps(percentage, defaultLimit, perDevice);
  }

  private static long memoryLimit(JsonNode node, String field) {
    String text;
    if (node.isString()) {
      text = node.stringValue();
    } else if (node.isIntegralNumber()) {
      text = node.asString();
    } else {
      throw new InvalidConfigException(field, "must be a quantity such as 10Gi, got " + node);
    }
    long bytes =
        MemoryQuantity.parseBytes(text)
            .orElseThrow(
                () ->
                    new InvalidConfigException(
                        field, "must be a quantity such as 10Gi, got " + quote(text)));
    if (bytes < SharingConfig.Mps.MIN_PINNED_MEMORY_BYTES) {
      throw new InvalidConfigException(field, "must be at least 1Mi, got " + quote(text));
    }
    return bytes;
  }

  private static JsonNode present(JsonNode node) {
    return node == null || node.isNull() ? null : node;
  }

  private static void forbid(JsonNode node, String field, String strategy) {
    if (node != null) {
      throw new InvalidConfigException(field, "not allowed with strategy " + strategy);
    }
  }

  private static void requireObject(JsonNode node, String field) {
    if (!node.isObject()) {
      throw new InvalidConfigException(
          field,
          "must be an object, got " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private static void onlyFields(JsonNode node, String path, Set<String> allowed) {
    for (String name : node.propertyNames()) {
      if (!allowed.contains(name)) {
        throw new InvalidConfigException(
            path.isEmpty() ? name : path + "." + name, "unknown field");
      }
    }
  }

  private static String requiredString(JsonNode parent, String name, String field) {
    JsonNode node = present(parent.get(name));
    if (node == null) {
      throw new InvalidConfigException(field, "required");
    }
    return string(node, field);
  }

  private static String string(JsonNode node, String field) {
    if (!node.isString()) {
      throw new InvalidConfigException(field, "must be a string, got " + node);
    }
    return node.stringValue();
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
