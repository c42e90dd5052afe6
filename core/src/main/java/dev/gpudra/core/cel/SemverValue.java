package dev.gpudra.core.cel;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A semantic version (semver 2.0.0) as CEL selectors see it ({@code kubernetes.Semver}).
 *
 * <p>Version attributes of devices and the {@code semver()} function produce these. Ordering
 * follows semver precedence: build metadata is ignored, a pre-release sorts before its release,
 * numeric pre-release identifiers sort numerically and before alphanumeric ones.
 *
 * @param major major version
 * @param minor minor version
 * @param patch patch version
 * @param preRelease dot-separated pre-release identifiers, empty for a release
 * @param build build metadata identifiers (not part of precedence)
 */
public record SemverValue(
    long major, long minor, long patch, List<String> preRelease, List<String> build)
    implements Comparable<SemverValue> {

  private static final Pattern NUMBER = Pattern.compile("0|[1-9][0-9]*");
  private static final Pattern IDENT = Pattern.compile("[0-9A-Za-z-]+");

  /** Validates and freezes the identifier lists. */
  public SemverValue {
    if (major < 0 || minor < 0 || patch < 0) {
      throw new IllegalArgumentException("version numbers must not be negative");
    }
    preRelease = List.copyOf(preRelease);
    build = List.copyOf(build);
  }

  /**
   * Parses a strict semver 2.0.0 string, as version attributes must be.
   *
   * @throws IllegalArgumentException when the text is not a valid version
   */
  public static SemverValue parse(String text) {
    Objects.requireNonNull(text, "text");
    String rest = text;
    List<String> build = List.of();
    int plus = rest.indexOf('+');
    if (plus >= 0) {
      build = identifiers(rest.substring(plus + 1), false, "build metadata");
      rest = rest.substring(0, plus);
    }
    List<String> pre = List.of();
    int dash = rest.indexOf('-');
    if (dash >= 0) {
      pre = identifiers(rest.substring(dash + 1), true, "pre-release");
      rest = rest.substring(0, dash);
    }
    String[] core = rest.split("\\.", -1);
    if (core.length != 3) {
      throw new IllegalArgumentException("No Major.Minor.Patch elements found");
    }
    return new SemverValue(number(core[0]), number(core[1]), number(core[2]), pre, build);
  }

  /**
   * Parses leniently like Kubernetes' {@code semver(s, true)}: a leading {@code v} is dropped,
   * leading zeros are removed and missing minor/patch numbers become zero.
   */
  public static SemverValue parseNormalized(String text) {
    String s = text.startsWith("v") ? text.substring(1) : text;
    String[] parts = s.split("\\.", 3);
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (p.length() > 1) {
        p = p.replaceFirst("^0+", "");
        if (p.isEmpty() || !Character.isDigit(p.charAt(0))) {
          p = "0" + p;
        }
        parts[i] = p;
      }
    }
    if (parts.length < 3) {
      String last = parts[parts.length - 1];
      if (last.contains("+") || last.contains("-")) {
        throw new IllegalArgumentException(
            "short version cannot contain PreRelease/Build meta data");
      }
      String[] filled = {"0", "0", "0"};
      System.arraycopy(parts, 0, filled, 0, parts.length);
      parts = filled;
    }
    return parse(String.join(".", parts));
  }

  /** Returns whether {@code text} parses (strictly, or normalised when asked). */
  public static boolean isSemver(String text, boolean normalize) {
    try {
      if (normalize) {
        parseNormalized(text);
      } else {
        parse(text);
      }
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static long number(String s) {
    if (!NUMBER.matcher(s).matches()) {
      throw new IllegalArgumentException("Invalid version number '" + s + "'");
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Version number too large: " + s, e);
    }
  }

  private static List<String> identifiers(String s, boolean preRelease, String what) {
    List<String> ids = List.of(s.split("\\.", -1));
    for (String id : ids) {
      if (!IDENT.matcher(id).matches()) {
        throw new IllegalArgumentException("Invalid character(s) found in " + what + " " + s);
      }
      if (preRelease && id.chars().allMatch(Character::isDigit) && !NUMBER.matcher(id).matches()) {
        throw new IllegalArgumentException("Leading zeroes in " + what + " " + s);
      }
    }
    return ids;
  }

  @Override
  public int compareTo(SemverValue o) {
    int c = Long.compare(major, o.major);
    if (c == 0) {
      c = Long.compare(minor, o.minor);
    }
    if (c == 0) {
      c = Long.compare(patch, o.patch);
    }
    if (c != 0) {
      return Integer.signum(c);
    }
    if (preRelease.isEmpty() || o.preRelease.isEmpty()) {
      return Boolean.compare(preRelease.isEmpty(), o.preRelease.isEmpty());
    }
    for (int i = 0; i < Math.min(preRelease.size(), o.preRelease.size()); i++) {
      int ci = compareIdentifier(preRelease.get(i), o.preRelease.get(i));
      if (ci != 0) {
        return ci;
      }
    }
    return Integer.signum(Integer.compare(preRelease.size(), o.preRelease.size()));
  }

  private static int compareIdentifier(String a, String b) {
    boolean an = a.chars().allMatch(Character::isDigit);
    boolean bn = b.chars().allMatch(Character::isDigit);
    if (an && bn) {
      return Integer.signum(new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b)));
    }
    if (an != bn) {
      return an ? -1 : 1;
    }
    return Integer.signum(a.compareTo(b));
  }

  /** Equality is precedence equality, as Kubernetes' CEL semver type defines it. */
  @Override
  public boolean equals(Object other) {
    return other instanceof SemverValue v && compareTo(v) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(major, minor, patch, preRelease);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(major).append('.').append(minor).append('.');
    sb.append(patch);
    if (!preRelease.isEmpty()) {
      sb.append('-').append(String.join(".", preRelease));
    }
    if (!build.isEmpty()) {
      sb.append('+').append(String.join(".", build));
    }
    return sb.toString();
  }
}
