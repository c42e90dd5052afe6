package dev.gpudra.core.cel;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes resource quantity as CEL selectors see it ({@code kubernetes.Quantity}).
 *
 * <p>Parsing follows the canonical quantity grammar of {@code k8s.io/apimachinery}: a signed
 * decimal number followed by a binary-SI suffix ({@code Ki}..{@code Ei}), a decimal-SI suffix
 * ({@code n u m k M G T P E}) or a decimal exponent ({@code e3}, {@code E-2}). Values compare
 * numerically, so {@code 1Gi == 1024Mi} and {@code 1000m == 1}.
 *
 * @param value the exact numeric value
 */
public record QuantityValue(BigDecimal value) implements Comparable<QuantityValue> {

  private static final Pattern GRAMMAR =
      Pattern.compile(
          "([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))"
              + "(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?");

  /** Validates; the value is normalised so that equal quantities have equal representations. */
  public QuantityValue {
    Objects.requireNonNull(value, "value");
    value = value.signum() == 0 ? BigDecimal.ZERO : value.stripTrailingZeros();
  }

  /**
   * Parses a quantity string.
   *
   * @throws IllegalArgumentException with Kubernetes' message when the text is not a quantity
   */
  public static QuantityValue parse(String text) {
    Matcher m = GRAMMAR.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "quantities must match the regular expression"
              + " '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    }
    BigDecimal number = new BigDecimal(m.group(1).endsWith(".") ? m.group(1) + "0" : m.group(1));
    String suffix = m.group(2) == null ? "" : m.group(2);
    return new QuantityValue(number.multiply(multiplier(suffix)));
  }

  /** Returns whether {@code text} parses as a quantity. */
  public static boolean isQuantity(String text) {
    return text != null && GRAMMAR.matcher(text).matches();
  }

  private static BigDecimal multiplier(String suffix) {
    return switch (suffix) {
      case "" -> BigDecimal.ONE;
      case "Ki" -> BigDecimal.valueOf(1L << 10);
      case "Mi" -> BigDecimal.valueOf(1L << 20);
      case "Gi" -> BigDecimal.valueOf(1L << 30);
      case "Ti" -> BigDecimal.valueOf(1L << 40);
      case "Pi" -> BigDecimal.valueOf(1L << 50);
      case "Ei" -> BigDecimal.valueOf(1L << 60);
      case "n" -> BigDecimal.ONE.scaleByPowerOfTen(-9);
      case "u" -> BigDecimal.ONE.scaleByPowerOfTen(-6);
      case "m" -> BigDecimal.ONE.scaleByPowerOfTen(-3);
      case "k" -> BigDecimal.ONE.scaleByPowerOfTen(3);
      case "M" -> BigDecimal.ONE.scaleByPowerOfTen(6);
      case "G" -> BigDecimal.ONE.scaleByPowerOfTen(9);
      case "T" -> BigDecimal.ONE.scaleByPowerOfTen(12);
      case "P" -> BigDecimal.ONE.scaleByPowerOfTen(15);
      case "E" -> BigDecimal.ONE.scaleByPowerOfTen(18);
      default -> BigDecimal.ONE.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
    };
  }

  @Override
  public int compareTo(QuantityValue other) {
    return value.compareTo(other.value);
  }

  /** Sign of the value: -1, 0 or 1. */
  public long sign() {
    return value.signum();
  }

  /** Whether the value is a whole number that fits a signed 64-bit integer. */
  public boolean isInteger() {
    if (value.signum() != 0 && value.scale() > 0) {
      return false;
    }
    BigInteger whole = value.toBigInteger();
    return whole.bitLength() < 64;
  }

  /**
   * The value as a 64-bit integer.
   *
   * @throws ArithmeticException with Kubernetes' message when it is not one
   */
  public long asInteger() {
    if (!isInteger()) {
      throw new ArithmeticException("cannot convert value to integer");
    }
    return value.longValueExact();
  }

  /** The nearest double, as {@code asApproximateFloat()} gives it. */
  public double asApproximateFloat() {
    return value.doubleValue();
  }

  public QuantityValue add(QuantityValue other) {
    return new QuantityValue(value.add(other.value));
  }

  public QuantityValue subtract(QuantityValue other) {
    return new QuantityValue(value.subtract(other.value));
  }

  @Override
  public String toString() {
    return value.toPlainString();
  }
}
