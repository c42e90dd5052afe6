package dev.gpudra.core.explain;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Quantities in the words people use: {@code 81559Mi} rather than {@code 85520809984}, and the same
 * value in the unit of the literal it is compared with ({@code 79.6Gi} next to {@code 80Gi}), so
 * that why {@code 81559Mi >= 80Gi} is false shows at a glance. Pure.
 */
final class QuantityText {
  private QuantityText() {}

  private static final String[] BINARY = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
  private static final String[] DECIMAL = {"E", "P", "T", "G", "M", "k"};

  /** The value with the largest suffix that keeps it whole (binary first), else plain. */
  static String exact(BigDecimal value) {
    if (value.signum() != 0) {
      for (String suffix : BINARY) {
        BigDecimal[] qr = value.divideAndRemainder(multiplier(suffix));
        if (qr[1].signum() == 0 && qr[0].signum() != 0) {
          return qr[0].toPlainString() + suffix;
        }
      }
      for (String suffix : DECIMAL) {
        BigDecimal[] qr = value.divideAndRemainder(multiplier(suffix));
        if (qr[1].signum() == 0 && qr[0].signum() != 0) {
          return qr[0].toPlainString() + suffix;
        }
      }
    }
    return value.stripTrailingZeros().toPlainString();
  }

  /** The value in {@code suffix}'s unit with at most one decimal, e.g. {@code 79.6Gi}. */
  static String in(BigDecimal value, String suffix) {
    BigDecimal scaled = value.divide(multiplier(suffix), 1, RoundingMode.HALF_EVEN);
    return scaled.stripTrailingZeros().toPlainString() + suffix;
  }

  /** {@code exact}, followed by the value in the literal's unit when that reads differently. */
  static String compared(BigDecimal value, String literalSuffix) {
    String exact = exact(value);
    if (literalSuffix.isEmpty() || exact.endsWith(literalSuffix)) {
      return exact;
    }
    String inUnit = in(value, literalSuffix);
    return inUnit.equals(exact) ? exact : exact + " (" + inUnit + ")";
  }

  /** The suffix of a quantity literal such as {@code 80Gi}: {@code Gi}; empty for none. */
  static String suffix(String literal) {
    int i = literal.length();
    while (i > 0 && Character.isLetter(literal.charAt(i - 1))) {
      i--;
    }
    String suffix = literal.substring(i);
    return switch (suffix) {
      case "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E" -> suffix;
      default -> "";
    };
  }

  private static BigDecimal multiplier(String suffix) {
    return switch (suffix) {
      case "Ki" -> BigDecimal.valueOf(1L << 10);
      case "Mi" -> BigDecimal.valueOf(1L << 20);
      case "Gi" -> BigDecimal.valueOf(1L << 30);
      case "Ti" -> BigDecimal.valueOf(1L << 40);
      case "Pi" -> BigDecimal.valueOf(1L << 50);
      case "Ei" -> BigDecimal.valueOf(1L << 60);
      case "k" -> BigDecimal.TEN.pow(3);
      case "M" -> BigDecimal.TEN.pow(6);
      case "G" -> BigDecimal.TEN.pow(9);
      case "T" -> BigDecimal.TEN.pow(12);
      case "P" -> BigDecimal.TEN.pow(15);
      case "E" -> BigDecimal.TEN.pow(18);
      default -> BigDecimal.ONE;
    };
  }
}
