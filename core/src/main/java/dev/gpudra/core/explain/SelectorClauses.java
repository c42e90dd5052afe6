package dev.gpudra.core.explain;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a CEL selector into the clauses a person reads it as: the operands of its top-level {@code
 * &&} (and, inside a clause wrapped in parentheses, of that clause's {@code &&}).
 *
 * <p>A selector is a conjunction far more often than not ("an H100 with at least 80Gi"), and the
 * clause that is false is what a user needs to see. Operands of a top-level {@code ||} are kept
 * together as one clause: a disjunction is false only when all of its operands are, and naming one
 * of them would mislead. Splitting works on the text, respecting string literals and brackets, so
 * that each clause is shown exactly as the user wrote it; every clause is itself a valid selector
 * whenever the whole is. Pure and thread-safe.
 */
final class SelectorClauses {
  private SelectorClauses() {}

  /** The clauses of {@code expression}, in source order; the expression itself when it has one. */
  static List<String> split(String expression) {
    List<String> out = new ArrayList<>();
    collect(expression.strip(), out);
    return out;
  }

  private static void collect(String text, List<String> out) {
    if (topLevel(text, "||").size() > 1) {
      out.add(text);
      return;
    }
    List<String> conjuncts = topLevel(text, "&&");
    if (conjuncts.size() > 1) {
      for (String c : conjuncts) {
        collect(c, out);
      }
      return;
    }
    String inner = unwrap(text);
    if (inner != null && topLevel(inner, "||").size() == 1 && topLevel(inner, "&&").size() > 1) {
      collect(inner, out);
      return;
    }
    out.add(text);
  }

  /** The text inside one pair of parentheses that spans all of {@code text}, else null. */
  private static String unwrap(String text) {
    if (!text.startsWith("(") || !text.endsWith(")")) {
      return null;
    }
    int depth = 0;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (quote != 0) {
        if (ch == '\\') {
          i++;
        } else if (ch == quote) {
          quote = 0;
        }
        continue;
      }
      if (ch == '"' || ch == '\'') {
        quote = ch;
      } else if (ch == '(' || ch == '[' || ch == '{') {
        depth++;
      } else if (ch == ')' || ch == ']' || ch == '}') {
        depth--;
        if (depth == 0 && i < text.length() - 1) {
          return null;
        }
      }
    }
    return text.substring(1, text.length() - 1).strip();
  }

  /** Operands of {@code operator} at bracket depth 0, stripped; the text itself when none. */
  private static List<String> topLevel(String text, String operator) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    char quote = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (quote != 0) {
        if (ch == '\\') {
          i++;
        } else if (ch == quote) {
          quote = 0;
        }
        continue;
      }
      if (ch == '"' || ch == '\'') {
        quote = ch;
      } else if (ch == '(' || ch == '[' || ch == '{') {
        depth++;
      } else if (ch == ')' || ch == ']' || ch == '}') {
        depth--;
      } else if (depth == 0 && text.startsWith(operator, i)) {
        parts.add(text.substring(start, i).strip());
        start = i + operator.length();
        i += operator.length() - 1;
      } else if (depth == 0 && ch == '?') {
        // A top-level conditional binds looser than && and ||: keep the whole as one clause.
        return List.of(text);
      }
    }
    if (parts.isEmpty()) {
      return List.of(text);
    }
    parts.add(text.substring(start).strip());
    return parts;
  }
}
