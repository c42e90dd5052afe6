package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonValue;

/** Kind of a device node, spelled as the CDI specification spells it. */
public enum DeviceType {
  CHAR("c"),
  BLOCK("b"),
  FIFO("p");

  private final String code;

  DeviceType(String code) {
    this.code = code;
  }

  /** The one-letter code written in the spec. */
  @JsonValue
  public String code() {
    return code;
  }
}
