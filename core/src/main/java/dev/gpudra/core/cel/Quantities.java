package dev.gpudra.core.cel;

import io.fabric8.kubernetes.api.model.Quantity;

/** Conversion of fabric8 quantities to exact values. */
public final class Quantities {
  private static final ParsedValues<QuantityValue> PARSED =
      new ParsedValues<>(4096, QuantityValue::parse);

  private Quantities() {}

  /**
   * The exact value of a fabric8 quantity.
   *
   * @throws IllegalArgumentException when the quantity is malformed
   */
  public static QuantityValue of(Quantity quantity) {
    String format = quantity.getFormat() == null ? "" : quantity.getFormat();
    return PARSED.parse(quantity.getAmount() + format);
  }
}
