package dev.gpudra.core.explain;

import dev.gpudra.core.cel.Compilation;
import dev.gpudra.core.cel.CompiledSelector;
import dev.gpudra.core.cel.DeviceInput;
import dev.gpudra.core.cel.QuantityValue;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEvaluationException;
import dev.gpudra.core.explain.ClusterDevices.Candidate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One clause of a selector, evaluated per device and, when false, put in words with the values it
 * saw ({@code memory 81559Mi (79.6Gi) < 80Gi}).
 *
 * <p>A clause that reads the device only through literal attribute and capacity names depends on
 * nothing else, so its outcome and its words are memoised per the values of those names: a thousand
 * identical GPUs cost one evaluation. Thread-safe.
 */
final class ClauseCheck {

  /** How a clause came out on one device. */
  enum Outcome {
    TRUE,
    FALSE,
    ERROR
  }

  /**
   * Why the clause is false on a device, and how far the device is from making it true.
   *
   * @param seen for a clause that reads one attribute, its value on the device, else null
   */
  record Miss(String text, double gap, String seen) {
    Miss(String text, double gap) {
      this(text, gap, null);
    }
  }

  private static final Pattern REF =
      Pattern.compile(
          "device\\.(attributes|capacity)\\[\\s*[\"']([^\"']+)[\"']\\s*\\]"
              + "(?:\\s*\\.\\s*([A-Za-z_][A-Za-z0-9_]*)|\\[\\s*[\"']([^\"']+)[\"']\\s*\\])");
  private static final Pattern OTHER_DEVICE_USE =
      Pattern.compile("\\bdevice\\b(?!\\s*\\.\\s*(driver|allowMultipleAllocations)\\b)");
  private static final Pattern QUANTITY =
      Pattern.compile("quantity\\(\\s*[\"']([^\"']+)[\"']\\s*\\)");
  private static final Pattern NUMBER =
      Pattern.compile(
          "(?:>=|<=|==|!=|>|<)\\s*(-?[0-9]+)(?![0-9.])|(-?[0-9]+)\\s*(?:>=|<=|==|!=|>|<)");

  /** One attribute or capacity the clause reads. */
  record Ref(boolean capacity, String domain, String name) {
    Object valueOn(DeviceInput device) {
      Map<String, ?> byName =
          capacity ? device.capacity().get(domain) : device.attributes().get(domain);
      return byName == null ? null : byName.get(name);
    }

    String shown(String driver) {
      return domain.equals(driver) ? name : domain + "/" + name;
    }
  }

  private final String text;
  private final String owner;
  private final CompiledSelector selector;
  private final List<Ref> refs;
  private final boolean projectable;
  private final Map<List<Object>, Outcome> outcomes = new ConcurrentHashMap<>();
  private final Map<List<Object>, Miss> misses = new ConcurrentHashMap<>();

  // Per device of the cluster state, by Candidate#index (null while not known): the outcome and
  // the miss, so that the several passes of one diagnosis and every claim explained against the
  // same state work a device out once. Benign races: racing writers store equal immutable values.
  private final Outcome[] outcomeByDevice;
  private final Miss[] missByDevice;

  private ClauseCheck(String text, String owner, CompiledSelector selector, int devices) {
    this.text = text;
    this.owner = owner;
    this.selector = selector;
    this.outcomeByDevice = new Outcome[devices];
    this.missByDevice = new Miss[devices];
    List<Ref> found = new ArrayList<>();
    Matcher m = REF.matcher(text);
    while (m.find()) {
      Ref ref =
          new Ref(
              m.group(1).equals("capacity"),
              m.group(2),
              m.group(3) != null ? m.group(3) : m.group(4));
      if (!found.contains(ref)) {
        found.add(ref);
      }
    }
    this.refs = List.copyOf(found);
    this.projectable = !OTHER_DEVICE_USE.matcher(REF.matcher(text).replaceAll("")).find();
  }

  /**
   * Compiles {@code text}; empty when it is not a selector on its own.
   *
   * @param devices how many devices the cluster state has whose outcomes are memoised by index
   */
  static Optional<ClauseCheck> of(String text, String owner, SelectorCache cache, int devices) {
    return cache.getOrCompile(text) instanceof Compilation.Compiled compiled
        ? Optional.of(new ClauseCheck(text, owner, compiled.selector(), devices))
        : Optional.empty();
  }

  String text() {
    return text;
  }

  /** Who wrote the clause: {@code class gpu.gpudra.dev} or {@code request gpu}. */
  String owner() {
    return owner;
  }

  /** How the clause comes out on {@code device}. */
  Outcome evaluate(Candidate device) {
    int i = device.index();
    if (i < 0 || i >= outcomeByDevice.length) {
      return evaluate(device.input());
    }
    Outcome known = outcomeByDevice[i];
    if (known == null) {
      known = evaluate(device.input());
      outcomeByDevice[i] = known;
    }
    return known;
  }

  private Outcome evaluate(DeviceInput device) {
    if (!projectable) {
      return run(device);
    }
    return outcomes.computeIfAbsent(key(device), k -> run(device));
  }

  private Outcome run(DeviceInput device) {
    try {
      return selector.matches(device) ? Outcome.TRUE : Outcome.FALSE;
    } catch (SelectorEvaluationException | RuntimeException e) {
      return Outcome.ERROR;
    }
  }

  /** Why the clause is not true on {@code device}, with the values it read. */
  Miss miss(Candidate device) {
    int i = device.index();
    if (i < 0 || i >= missByDevice.length) {
      return miss(device.input());
    }
    Miss known = missByDevice[i];
    if (known == null) {
      known = miss(device.input());
      missByDevice[i] = known;
    }
    return known;
  }

  private Miss miss(DeviceInput device) {
    if (!projectable) {
      return describe(device);
    }
    return misses.computeIfAbsent(key(device), k -> describe(device));
  }

  private List<Object> key(DeviceInput device) {
    List<Object> key = new ArrayList<>(refs.size() + 2);
    key.add(device.driver());
    key.add(device.allowMultipleAllocations());
    for (Ref ref : refs) {
      key.add(ref.valueOn(device));
    }
    return key;
  }

  private Miss describe(DeviceInput device) {
    for (Ref ref : refs) {
      if (ref.valueOn(device) == null) {
        String wanted = ref.domain() + "/" + ref.name();
        List<String> existing = new ArrayList<>();
        (ref.capacity() ? device.capacity() : device.attributes())
            .forEach(
                (domain, names) -> names.keySet().forEach(n -> existing.add(domain + "/" + n)));
        return new Miss(
            (ref.capacity() ? "capacity " : "attribute ")
                + wanted
                + " does not exist on these devices"
                + NearestName.of(wanted, existing)
                    .map(n -> " (did you mean " + n + "?)")
                    .orElse(""),
            Double.MAX_VALUE);
      }
    }
    if (refs.size() == 1) {
      Optional<Miss> compared = comparison(refs.get(0), device);
      if (compared.isPresent()) {
        return compared.get();
      }
    }
    StringBuilder words = new StringBuilder(shortText(device.driver())).append(" is false");
    String sep = ": ";
    for (Ref ref : refs) {
      words
          .append(sep)
          .append(ref.shown(device.driver()))
          .append(" is ")
          .append(show(ref.valueOn(device)));
      sep = ", ";
    }
    return new Miss(
        words.toString(), 1.0, refs.size() == 1 ? show(refs.get(0).valueOn(device)) : null);
  }

  private Optional<Miss> comparison(Ref ref, DeviceInput device) {
    Object value = ref.valueOn(device);
    String name = ref.shown(device.driver());
    Matcher q = QUANTITY.matcher(text);
    if (value instanceof QuantityValue quantity
        && q.find()
        && QuantityValue.isQuantity(q.group(1))) {
      QuantityValue literal = QuantityValue.parse(q.group(1));
      String suffix = QuantityText.suffix(q.group(1));
      return Optional.of(
          new Miss(
              name
                  + " "
                  + QuantityText.compared(quantity.value(), suffix)
                  + " "
                  + relation(quantity.compareTo(literal))
                  + " "
                  + q.group(1),
              gap(quantity.asApproximateFloat(), literal.asApproximateFloat())));
    }
    Matcher n = NUMBER.matcher(text);
    if (value instanceof Long number && n.find()) {
      long literal = Long.parseLong(n.group(1) != null ? n.group(1) : n.group(2));
      return Optional.of(
          new Miss(
              name + " " + number + " " + relation(Long.compare(number, literal)) + " " + literal,
              gap((double) number, (double) literal)));
    }
    return Optional.empty();
  }

  private static double gap(double value, double literal) {
    return literal == 0 ? Math.abs(value) : Math.abs(value - literal) / Math.abs(literal);
  }

  private static String relation(int comparison) {
    return comparison < 0 ? "<" : comparison > 0 ? ">" : "=";
  }

  private static String show(Object value) {
    return switch (value) {
      case String s -> "\"" + s + "\"";
      case QuantityValue q -> QuantityText.exact(q.value());
      default -> String.valueOf(value);
    };
  }

  /** The clause with this driver's {@code device.attributes["<driver>"].} prefixes left out. */
  String shortText(String driver) {
    String quoted = Pattern.quote(driver);
    return text.replaceAll(
            "device\\.(attributes|capacity)\\[\\s*[\"']" + quoted + "[\"']\\s*\\]\\s*\\.\\s*", "")
        .replaceAll("\\s+", " ");
  }
}
