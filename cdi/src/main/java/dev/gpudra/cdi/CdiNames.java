package dev.gpudra.cdi;

import dev.gpudra.core.names.DriverNames;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names this driver uses in CDI, in one place: kind, device names, ids and spec file names.
 *
 * <p>Every name is derived from a validated claim UID and a validated DRA device name. Because both
 * alphabets exclude {@code /}, {@code .} runs and anything else a path could use to climb, a spec
 * file name can never resolve outside the CDI directory.
 */
public final class CdiNames {
  /** CDI vendor of our specs. */
  public static final String VENDOR = DriverNames.CDI_VENDOR;

  /** CDI class of our specs. */
  public static final String CLASS = DriverNames.CDI_CLASS;

  /** CDI kind of our specs. */
  public static final String KIND = VENDOR + "/" + CLASS;

  /** Extension of the spec files we write (runtimes read {@code .json} and {@code .yaml}). */
  public static final String EXTENSION = ".json";

  // A UUID in its 36-character text form, hex digits of either case; isUuid checks exactly this.
  static final String UID =
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

  // RFC 1123 label, which is what the resource.k8s.io API allows for a device name; isDnsLabel
  // checks exactly this.
  static final String DEVICE_NAME = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

  private static final Pattern SPEC_FILE_PATTERN =
      Pattern.compile(
          Pattern.quote(VENDOR + "-" + CLASS + "_") + "(" + UID + ")" + Pattern.quote(EXTENSION));

  private CdiNames() {}

  /**
   * Returns {@code claimUid} when it is a Kubernetes object UID (an RFC 4122 UUID in its 36
   * character text form), otherwise throws.
   */
  public static String requireClaimUid(String claimUid) {
    if (claimUid == null || !isUuid(claimUid, 0)) {
      throw new IllegalArgumentException(
          "invalid claim UID "
              + quote(claimUid)
              + ": expected a UUID such as "
              + "0b5e1f0c-5a4d-4f7e-9c1d-2f3a4b5c6d7e");
    }
    return claimUid;
  }

  /** Returns {@code deviceName} when it is a valid DRA device name (RFC 1123 label). */
  public static String requireDeviceName(String deviceName) {
    if (deviceName == null || !isDnsLabel(deviceName)) {
      throw new IllegalArgumentException(
          "invalid device name "
              + quote(deviceName)
              + ": expected a DNS label (lowercase letters, digits, '-', at most 63)");
    }
    return deviceName;
  }

  /** CDI device name of a claim's device: {@code <claimUID>-<deviceName>}. */
  public static String cdiDeviceName(String claimUid, String deviceName) {
    return requireClaimUid(claimUid) + "-" + requireDeviceName(deviceName);
  }

  /** Fully-qualified CDI id returned to the kubelet: {@code <kind>=<claimUID>-<deviceName>}. */
  public static String qualifiedId(String claimUid, String deviceName) {
    return KIND + "=" + cdiDeviceName(claimUid, deviceName);
  }

  /**
   * CDI device name of one share of a claim's device (consumable capacity): {@code
   * <claimUID>-<deviceName>-<shareID>}, unique on the node even when several claims, or one claim
   * twice, hold shares of the same device.
   */
  public static String cdiDeviceName(String claimUid, String deviceName, String shareId) {
    if (shareId == null) {
      return cdiDeviceName(claimUid, deviceName);
    }
    if (!isUuid(shareId, 0)) {
      throw new IllegalArgumentException(
          "invalid share ID " + quote(shareId) + ": expected a UUID");
    }
    return cdiDeviceName(claimUid, deviceName) + "-" + shareId.toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Fully-qualified CDI id of one share of a claim's device; see {@link #cdiDeviceName(String,
   * String, String)}.
   */
  public static String qualifiedId(String claimUid, String deviceName, String shareId) {
    return KIND + "=" + cdiDeviceName(claimUid, deviceName, shareId);
  }

  /** File name of a claim's spec: {@code k8s.gpu.gpudra.dev-claim_<claimUID>.json}. */
  public static String specFileName(String claimUid) {
    return VENDOR + "-" + CLASS + "_" + requireClaimUid(claimUid) + EXTENSION;
  }

  /** The claim UID a file name of ours carries, or empty when the name is not one of ours. */
  public static Optional<String> claimUidOfSpecFile(String fileName) {
    if (fileName == null) {
      return Optional.empty();
    }
    Matcher m = SPEC_FILE_PATTERN.matcher(fileName);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            c -> {
              if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", c));
              } else {
                b.appendCodePoint(c);
              }
            });
    return b.append('"').toString();
  }

  // The names below are checked several times in every prepare: by hand, as a regex costs many
  // times more. CdiNamesTest holds each to its pattern above.

  /** Whether {@code text} from {@code offset} to its end is a UUID as {@link #UID} says. */
  static boolean isUuid(String text, int offset) {
    if (text.length() - offset != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = text.charAt(offset + i);
      boolean ok =
          (i == 8 || i == 13 || i == 18 || i == 23)
              ? c == '-'
              : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code name} is an RFC 1123 label as {@link #DEVICE_NAME} says. */
  static boolean isDnsLabel(String name) {
    int length = name.length();
    if (length == 0 || length > 63) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = name.charAt(i);
      boolean alphanumeric = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alphanumeric && !(c == '-' && i > 0 && i < length - 1)) {
        return false;
      }
    }
    return true;
  }
}
