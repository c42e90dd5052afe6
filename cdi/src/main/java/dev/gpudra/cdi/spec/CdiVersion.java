package dev.gpudra.cdi.spec;

import java.util.ArrayList;
import java.util.List;

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
    // Plain loops: every prepare builds a spec, and every spec is checked here twice.
    List<ContainerEdits> allEdits = new ArrayList<>(devices.size() + 1);
    for (CdiDevice device : devices) {
      allEdits.add(device.containerEdits());
    }
    allEdits.add(specEdits);
    boolean hostPath = false;
    boolean typedMount = false;
    for (ContainerEdits edits : allEdits) {
      if (!edits.additionalGids().isEmpty()) {
        return V0_7_0;
      }
      for (DeviceNode node : edits.deviceNodes()) {
        hostPath |= node.hostPath() != null;
      }
      for (Mount mount : edits.mounts()) {
        typedMount |= mount.type() != null;
      }
    }
    int slash = kind.indexOf('/');
    if (slash >= 0 && kind.indexOf('.', slash + 1) >= 0) {
      return V0_6_0;
    }
    boolean digitFirst = false;
    for (CdiDevice device : devices) {
      String name = device.name();
      digitFirst |= !name.isEmpty() && name.charAt(0) >= '0' && name.charAt(0) <= '9';
    }
    if (digitFirst || hostPath) {
      return V0_5_0;
    }
    if (typedMount) {
      return V0_4_0;
    }
    return V0_3_0;
  }
}
