package dev.gpudra.cdi.spec;

/**
 * The character rules the CDI specification sets for vendor, class and device names.
 *
 * <p>Vendor and class: a letter first, a letter or digit last, letters, digits, {@code _ - .} in
 * between. Device names: a letter or digit first and last, letters, digits, {@code _ - . :} in
 * between. Only ASCII letters and digits count.
 */
public final class CdiNameRules {
  private CdiNameRules() {}

  /** True when {@code name} is a valid CDI vendor or class name. */
  public static boolean isValidVendorOrClass(String name) {
    return isValid(name, true, "_-.");
  }

  /** True when {@code name} is a valid CDI device name. */
  public static boolean isValidDeviceName(String name) {
    return isValid(name, false, "_-.:");
  }

  private static boolean isValid(String name, boolean letterFirst, String inner) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    char first = name.charAt(0);
    if (letterFirst ? !isLetter(first) : !isAlphaNumeric(first)) {
      return false;
    }
    if (name.length() == 1) {
      return true;
    }
    for (int i = 1; i < name.length() - 1; i++) {
      char c = name.charAt(i);
      if (!isAlphaNumeric(c) && inner.indexOf(c) < 0) {
        return false;
      }
    }
    return isAlphaNumeric(name.charAt(name.length() - 1));
  }

  static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  static boolean isAlphaNumeric(char c) {
    return isLetter(c) || (c >= '0' && c <= '9');
  }
}
