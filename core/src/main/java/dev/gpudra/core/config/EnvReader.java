package dev.gpudra.core.config;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads configuration records' settings from an environment-style map (pure: the caller passes
 * {@code System.getenv()} or a test's map). Every configuration record of the driver reads through
 * this one class, so that all keys behave alike: a value is stripped, a blank value counts as unset
 * and takes the default, and an unusable value fails with an {@link IllegalArgumentException} whose
 * message starts with the key.
 */
public final class EnvReader {

  private final Map<String, String> env;

  /** Reads from {@code env}; the map is copied, so later changes to it are not seen. */
  public EnvReader(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  /** The stripped value of {@code key}, empty when unset or blank. */
  public Optional<String> string(String key) {
    return Optional.ofNullable(env.get(key)).map(String::strip).filter(s -> !s.isEmpty());
  }

  /** The stripped value of {@code key}, or {@code fallback} when unset or blank. */
  public String string(String key, String fallback) {
    return string(key).orElse(fallback);
  }

  /**
   * The stripped value of a key that has no default.
   *
   * @throws IllegalArgumentException "{@code <key> is required}" when unset or blank
   */
  public String required(String key) {
    return string(key).orElseThrow(() -> new IllegalArgumentException(key + " is required"));
  }

  /**
   * A decimal integer, or {@code fallback} when unset.
   *
   * @throws IllegalArgumentException "{@code <key> must be an integer, got: <value>}"
   */
  public int integer(String key, int fallback) {
    return value(key, fallback, Integer::parseInt, "must be an integer");
  }

  /**
   * {@code true} or {@code false} in any case, or {@code fallback} when unset.
   *
   * @throws IllegalArgumentException "{@code <key> must be true or false, got: <value>}"
   */
  public boolean bool(String key, boolean fallback) {
    return value(
        key,
        fallback,
        v ->
            switch (v.toLowerCase(Locale.ROOT)) {
              case "true" -> true;
              case "false" -> false;
              default -> throw new IllegalArgumentException(v);
            },
        "must be true or false");
  }

  /**
   * A comma-separated list (items stripped, empty items dropped, first occurrence order kept), or
   * {@code fallback} when unset.
   */
  public Set<String> list(String key, Set<String> fallback) {
    Optional<String> v = string(key);
    if (v.isEmpty()) {
      return fallback;
    }
    Set<String> out = new LinkedHashSet<>();
    for (String part : v.get().split(",")) {
      String item = part.strip();
      if (!item.isEmpty()) {
        out.add(item);
      }
    }
    return out;
  }

  /**
   * A value of any type, parsed by {@code parse}, or {@code fallback} when unset.
   *
   * @param expected what the value must be, completing "{@code <key> <expected>, got: <value>}"
   *     when {@code parse} throws
   */
  public <T> T value(String key, T fallback, Function<String, T> parse, String expected) {
    return optional(key, parse, expected).orElse(fallback);
  }

  /**
   * A value of any type parsed by {@code parse}, empty when unset.
   *
   * @param expected what the value must be, completing "{@code <key> <expected>, got: <value>}"
   *     when {@code parse} throws
   */
  public <T> Optional<T> optional(String key, Function<String, T> parse, String expected) {
    Optional<String> v = string(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse.apply(v.get()));
    } catch (RuntimeException e) {
      // Parsers are pure functions of the text; any failure means the text is unusable.
      throw new IllegalArgumentException(key + " " + expected + ", got: " + v.get(), e);
    }
  }
}
