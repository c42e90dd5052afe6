package dev.gpudra.cdi.spec;

import java.util.List;
import java.util.stream.Stream;

/**
 * Released versions of the CDI specification, oldest first, and which spec content needs which.
 *
 * <p>We write the lowest version a spec's content allows, because runtimes built against an older
 * CDI library reject versions they do not know. The rules mirror the reference implementation's
 * minimum-version logic for the fields our model has:
 *
 * <ul>
 *   <li>0.7.0: {@code additionalGids} anywhere;
 *   <li>0.6.0: a dot in the kind's class;
 *   <li>0.5.0: a device name starting with a digit (claim UIDs often do), or a device node with a
 *       {@code hostPath};
 *   <li>0.4.0: a mount with a {@code type};
 *   <li>0.3.0: everything else (the oldest version still accepted).
 * </ul>
 *
 * Hook {@code env} and {@code timeout} are part of 0.3.0 and need nothing newer.
 */
public enum CdiVersion {
  V0_3_0("0.3.0"),
  V0_4_0("0.4.0"),
  V0_5_0("0.5.0"),
  V0_6_0("0.6.0"),
  V0_7_0("0.7.0"),
  V0_8_0("0.8.0"),
  V1_0_0("1.0.0"),
  V1_1_0("1.1.0");

  private final String text;

  CdiVersion(String text) {
    this.text = text;
  }

  /** The version as written in {@code cdiVersion}. */
  public String text() {
    return text;
  }

  /** Parses a {@code cdiVersion} value; an optional leading {@code v} is accepted. */
  public static CdiVersion parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("cdiVersion is missing");
    }
    String bare = text.startsWith("v") ? text.substring(1) : text;
    for (CdiVersion v : values()) {
      if (v.text.equals(bare)) {
        return v;
      }
    }
    throw new IllegalArgumentException("unknown CDI version " + ContainerPaths.quote(text));
  }

  /** The lowest version that can express a spec of this kind with these devices and edits. */
  public static CdiVersion minimumFor(
      String kind, List<CdiDevice> devices, ContainerEdits specEdits) {
    List<ContainerEdits> allEdits =
        Stream.concat(devices.stream().map(CdiDevice::containerEdits), Stream.of(specEdits))
            .toList();
    if (allEdits.stream().anyMatch(e -> !e.additionalGids().isEmpty())) {
      return V0_7_0;
    }
    int slash = kind.indexOf('/');
    if (slash >= 0 && kind.substring(slash + 1).contains(".")) {
      return V0_6_0;
    }
    boolean digitFirst =
        devices.stream()
            .anyMatch(
                d -> !d.name().isEmpty() && d.name().charAt(0) >= '0' && d.name().charAt(0) <= '9');
    boolean hostPath =
        allEdits.stream()
            .flatMap(e -> e.deviceNodes().stream())
            .anyMatch(n -> n.hostPath() != null);
    if (digitFirst || hostPath) {
      return V0_5_0;
    }
    if (allEdits.stream().flatMap(e -> e.mounts().stream()).anyMatch(m -> m.type() != null)) {
      return V0_4_0;
    }
    return V0_3_0;
  }
}
