package dev.gpudra.core.cel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A bounded memo of parsed values by their text, for quantities and versions that thousands of
 * devices publish alike ({@code 81559Mi}, {@code 550.54.15}): building the selector input of a
 * large cluster parses the same few strings over and over.
 *
 * <p>Only successful parses are kept (a malformed text throws every time, with its own message);
 * the values are immutable, so sharing them changes nothing. When full it starts over, which keeps
 * memory bounded without bookkeeping per entry. Thread-safe.
 */
final class ParsedValues<V> {

  private final int maxEntries;
  private final Function<String, V> parser;
  private final Map<String, V> values = new ConcurrentHashMap<>();

  ParsedValues(int maxEntries, Function<String, V> parser) {
    this.maxEntries = maxEntries;
    this.parser = parser;
  }

  /** The parsed value of {@code text}; throws what the parser throws for a malformed one. */
  V parse(String text) {
    V known = values.get(text);
    if (known != null) {
      return known;
    }
    V parsed = parser.apply(text);
    if (values.size() >= maxEntries) {
      values.clear();
    }
    values.put(text, parsed);
    return parsed;
  }
}
