package dev.gpudra.core.health;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The one table that classifies XIDs, plus the admin's override list.
 *
 * <p>Source of every row: the "Immediate Action" column of NVIDIA's XID catalog
 * (docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html, Ampere and newer), read through
 * NVIDIA's own mapping file (NVSentinel {@code xiderrorsmapping.csv}): RESTART_BM / RESTART_VM are
 * {@link XidClass#FATAL}; RESET_GPU and the WORKFLOW_* actions of fatal errors (48 DBE, 74 and
 * 144-150 NVLink) are {@link XidClass#NEEDS_RESET}; RESTART_APP is {@link XidClass#APPLICATION};
 * IGNORE is {@link XidClass#INFORMATIONAL}. Where this deviates from NVIDIA's device plugin, which
 * ignores {13, 31, 43, 45, 68, 109}: 109 (context-switch timeout) follows the catalog's RESET_GPU,
 * as NVIDIA/k8s-device-plugin issue 1974 proposes; 45 (preemptive cleanup after earlier errors) is
 * an application event. An XID missing from the table, and 999 (an XID the driver itself cannot
 * name), is {@link XidClass#FATAL}, as NVIDIA's DRA driver treats it: an unknown fault must not be
 * ignored.
 *
 * <p>XIDs an admin lists ({@code GPUDRA_HEALTH_IGNORED_XIDS}) are {@link XidClass#INFORMATIONAL}
 * whatever the table says: still visible as a {@code None} taint and in metrics, never blocking.
 */
public final class XidCatalog {

  private static final Map<Integer, XidClass> TABLE = new HashMap<>();

  static {
    // RESTART_BM (79: fallen off the bus) and RESTART_VM (151: confidential-computing key
    // rotation).
    put(XidClass.FATAL, 79, 151);
    // RESET_GPU, WORKFLOW_XID_48 (double-bit ECC), WORKFLOW_NVLINK_ERR (74),
    // WORKFLOW_NVLINK5_ERR (144-150), UNEXPECTED_ERR_REPORT_ISSUE (61, classed FATAL by NVIDIA).
    put(XidClass.NEEDS_RESET, 46, 48, 61, 62, 64, 74, 95, 109, 110, 119, 120, 136, 140, 143);
    put(XidClass.NEEDS_RESET, 144, 145, 146, 147, 148, 149, 150, 155, 156, 158);
    // RESTART_APP, and 45 (WORKFLOW_XID_45: channel torn down after an application's errors).
    put(XidClass.APPLICATION, 8, 11, 13, 25, 31, 32, 39, 40, 41, 45, 60, 68, 69, 70, 71, 72);
    put(XidClass.APPLICATION, 75, 76, 77, 80, 82, 83, 84, 85, 86, 88, 89, 94);
    put(XidClass.APPLICATION, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105);
    put(XidClass.APPLICATION, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 139);
    // IGNORE, and 154 (recovery action changed: the linked XID carries the action).
    put(XidClass.INFORMATIONAL, 14, 37, 38, 43, 44, 63, 66, 67, 92, 93, 106, 107, 121, 137);
    put(XidClass.INFORMATIONAL, 141, 152, 153, 154, 157, 161);
  }

  private final Set<Integer> ignored;

  /**
   * @param ignored XIDs the admin wants informational only
   */
  public XidCatalog(Set<Integer> ignored) {
    this.ignored = Set.copyOf(Objects.requireNonNull(ignored, "ignored"));
  }

  /** The class of an XID for this node. */
  public XidClass classify(long xid) {
    if (xid >= 0 && xid <= Integer.MAX_VALUE && ignored.contains((int) xid)) {
      return XidClass.INFORMATIONAL;
    }
    XidClass known = xid <= Integer.MAX_VALUE ? TABLE.get((int) xid) : null;
    return known == null ? XidClass.FATAL : known;
  }

  /** The XIDs the admin made informational. */
  public Set<Integer> ignored() {
    return ignored;
  }

  private static void put(XidClass xidClass, int... xids) {
    for (int xid : xids) {
      if (TABLE.put(xid, xidClass) != null) {
        throw new IllegalStateException("XID " + xid + " listed twice");
      }
    }
  }
}
