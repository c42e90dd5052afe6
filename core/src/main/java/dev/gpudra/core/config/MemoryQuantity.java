package dev.gpudra.core.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory sizes written as Kubernetes quantities ({@code 10Gi}, {@code 512Mi}, {@code 1G}, {@code
 * 1048576}). Only non-negative plain and suffixed decimal numbers are accepted; exponent forms and
 * milli-units, which make no sense for bytes, are not.
 */
final class MemoryQuantity {

  private static final Pattern FORM =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?");

  private static final Map<String, BigDecimal> FACTORS =
      Map.ofEntries(
          Map.entry("", BigDecimal.ONE),
          Map.entry("Ki", BigDecimal.valueOf(1L << 10)),
          Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
          Map.entry("Gi", BigDecimal.valueOf(1L << 30)),
          Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
          Map.entry("Pi", BigDecimal.valueOf(1L << 50)),
          Map.entry("Ei", BigDecimal.valueOf(1L << 60)),
          Map.entry("k", BigDecimal.TEN.pow(3)),
          Map.entry("M", BigDecimal.TEN.pow(6)),
          Map.entry("G", BigDecimal.TEN.pow(9)),
          Map.entry("T", BigDecimal.TEN.pow(12)),
          Map.entry("P", BigDecimal.TEN.pow(15)),
          Map.entry("E", BigDecimal.TEN.pow(18)));

  private MemoryQuantity() {}

  /** Bytes, rounded up to a whole byte; empty when malformed or beyond a signed 64-bit count. */
  static Optional<Long> parseBytes(String text) {
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    String suffix = m.group(2) == null ? "" : m.group(2);
    BigDecimal bytes =
        new BigDecimal(m.group(1)).multiply(FACTORS.get(suffix)).setScale(0, RoundingMode.CEILING);
    if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      return Optional.empty();
    }
    return Optional.of(bytes.longValueExact());
  }
}
