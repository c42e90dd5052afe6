package dev.gpudra.cdi.spec;

import java.util.Arrays;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON encoding of CDI specs with the specification's field names.
 *
 * <p>Output is deterministic (fixed field order, two-space indentation, trailing newline) so that
 * the same spec always produces the same bytes: golden files compare exactly and a rewrite of an
 * unchanged spec is recognisable. Thread-safe.
 */
public final class CdiJson {
  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private CdiJson() {}

  /** Encodes a spec as UTF-8 JSON ending with a newline. */
  public static byte[] encode(CdiSpec spec) {
    byte[] json = MAPPER.writeValueAsBytes(spec);
    byte[] line = Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    return line;
  }

  /** Encodes any model value (container edits, device nodes...) the same way. */
  public static String encodeValue(Object value) {
    return MAPPER.writeValueAsString(value) + "\n";
  }

  /** Decodes a spec; every record's validation runs, so a decoded spec is a valid spec. */
  public static CdiSpec decode(byte[] json) {
    return MAPPER.readValue(json, CdiSpec.class);
  }

  /** Decodes any model value. */
  public static <T> T decodeValue(String json, Class<T> type) {
    return MAPPER.readValue(json, type);
  }
}
