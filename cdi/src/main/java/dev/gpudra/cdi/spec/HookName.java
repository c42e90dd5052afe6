package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonValue;

/** The OCI lifecycle points at which a CDI hook may run, spelled as in the CDI specification. */
public enum HookName {
  PRESTART("prestart"),
  CREATE_RUNTIME("createRuntime"),
  CREATE_CONTAINER("createContainer"),
  START_CONTAINER("startContainer"),
  POSTSTART("poststart"),
  POSTSTOP("poststop");

  private final String specName;

  HookName(String specName) {
    this.specName = specName;
  }

  /** The name written in the spec's {@code hookName} field. */
  @JsonValue
  public String specName() {
    return specName;
  }
}
