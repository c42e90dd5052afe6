package dev.gpudra.testkit.nvml;

import java.nio.file.Path;
import java.util.List;

/**
 * One non-blank line of a mock profile, split into words, with the helpers that turn its words into
 * values or into an error naming file, line and field.
 *
 * @param file the file the line is in
 * @param number 1-based line number
 * @param words the line's words, the keyword first
 * @param rest the text after the keyword, for values that contain blanks
 */
record ProfileLine(Path file, int number, List<String> words, String rest) {

  ProfileLine {
    words = List.copyOf(words);
  }

  String keyword() {
    return words.getFirst();
  }

  /** The i-th word; a missing one is an error on the keyword. */
  String arg(int i) {
    if (i >= words.size()) {
      throw fail(keyword(), "missing value");
    }
    return words.get(i);
  }

  /** The i-th word as a non-negative decimal or 0x-prefixed hexadecimal number. */
  long number(String field, int i) {
    return number(field, arg(i));
  }

  long number(String field, String text) {
    try {
      long value =
          text.startsWith("0x") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
      if (value < 0) {
        throw fail(field, "expected a non-negative number");
      }
      return value;
    } catch (NumberFormatException e) {
      throw fail(field, "'" + text + "' is not a number");
    }
  }

  IllegalArgumentException fail(String field, String reason) {
    return at(file, number, field, reason);
  }

  static IllegalArgumentException at(Path file, int line, String field, String reason) {
    return new IllegalArgumentException(file + ":" + line + ": " + field + ": " + reason);
  }
}
