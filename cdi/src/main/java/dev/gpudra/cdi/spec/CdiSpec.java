package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A whole CDI spec file.
 *
 * @param cdiVersion specification version, at least what the content needs
 * @param kind {@code <vendor>/<class>}
 * @param devices named devices, at least one, names unique
 * @param containerEdits edits applied once whenever any device of this spec is injected
 */
@JsonPropertyOrder({"cdiVersion", "kind", "devices", "containerEdits"})
public record CdiSpec(
    String cdiVersion,
    String kind,
    List<CdiDevice> devices,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = EmptyEditsFilter.class)
        ContainerEdits containerEdits) {

  /** Validates the spec as a whole: kind, device-name uniqueness and the declared version. */
  public CdiSpec {
    requireValidKind(kind);
    devices = devices == null ? List.of() : List.copyOf(devices);
    if (devices.isEmpty()) {
      throw new IllegalArgumentException("a CDI spec needs at least one device");
    }
    Set<String> names = new HashSet<>();
    for (CdiDevice d : devices) {
      if (!names.add(d.name())) {
        throw new IllegalArgumentException("duplicate CDI device name " + d.name());
      }
    }
    containerEdits = containerEdits == null ? ContainerEdits.NONE : containerEdits;
    CdiVersion declared = CdiVersion.parse(cdiVersion);
    CdiVersion needed = CdiVersion.minimumFor(kind, devices, containerEdits);
    if (declared.compareTo(needed) < 0) {
      throw new IllegalArgumentException(
          "cdiVersion " + cdiVersion + " is too old for this content, needs " + needed.text());
    }
  }

  /** A spec at the lowest version its content allows. */
  public static CdiSpec atMinimumVersion(
      String kind, List<CdiDevice> devices, ContainerEdits containerEdits) {
    ContainerEdits edits = containerEdits == null ? ContainerEdits.NONE : containerEdits;
    List<CdiDevice> copy = devices == null ? List.of() : List.copyOf(devices);
    requireValidKind(kind);
    return new CdiSpec(CdiVersion.minimumFor(kind, copy, edits).text(), kind, copy, edits);
  }

  private static void requireValidKind(String kind) {
    int slash = kind == null ? -1 : kind.indexOf('/');
    if (slash < 0
        || !CdiNameRules.isValidVendorOrClass(kind.substring(0, slash))
        || !CdiNameRules.isValidVendorOrClass(kind.substring(slash + 1))) {
      throw new IllegalArgumentException(
          "invalid CDI kind " + (kind == null ? "null" : ContainerPaths.quote(kind)));
    }
  }

  /** Leaves spec-level {@code containerEdits} out of the JSON when there are none. */
  static final class EmptyEditsFilter {
    @Override
    public boolean equals(Object value) {
      return value == null || (value instanceof ContainerEdits e && e.isEmpty());
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }
}
