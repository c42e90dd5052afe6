package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.CdiNames;

/**
 * A claim as the kubelet names it in a prepare or unprepare call.
 *
 * @param namespace the claim's namespace
 * @param uid the claim's UID, the key of every answer
 * @param name the claim's name
 */
public record ClaimRef(String namespace, String uid, String name) {

  /** Normalises absent strings to empty; {@link #problem()} says what is missing. */
  public ClaimRef {
    namespace = namespace == null ? "" : namespace;
    uid = uid == null ? "" : uid;
    name = name == null ? "" : name;
  }

  /** What makes this reference unusable, or null when it is complete. */
  public String problem() {
    if (uid.isEmpty()) {
      return "malformed request: claim " + this + " has no UID";
    }
    try {
      CdiNames.requireClaimUid(uid);
    } catch (IllegalArgumentException e) {
      return "malformed request: claim UID " + uid + " is not a UUID";
    }
    if (namespace.isEmpty() || name.isEmpty()) {
      return "malformed request: claim " + uid + " lacks a namespace or name";
    }
    return null;
  }

  @Override
  public String toString() {
    return namespace + "/" + name + " (" + uid + ")";
  }
}
