package dev.gpudra.core.cel;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.extensions.CelStringExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import java.util.Optional;
import java.util.Set;

/**
 * The CEL environment of DRA device selectors, on cel-java.
 *
 * <p>It offers what Kubernetes' selector environment offers to {@code resource.k8s.io/v1}
 * selectors: the {@code device} variable ({@code driver}, {@code attributes}, {@code capacity},
 * {@code allowMultipleAllocations}); the standard macros; the string, list, set, optional and bind
 * extensions; cross-type numeric comparisons; and Kubernetes' {@code quantity} and {@code semver}
 * libraries (see {@link KubernetesLibraries}). Not offered: Kubernetes' URL, IP, CIDR, format and
 * authorizer libraries, its regex {@code find}/{@code findAll} and its list library ({@code
 * isSorted}, {@code sum}, ...), none of which apply to device attributes.
 *
 * <p>Instances are immutable and thread-safe; build one and share it.
 */
public final class SelectorEnvironment {
  /**
   * Kubernetes' runtime cost limit per selector evaluation ({@code CELSelectorExpressionMaxCost}).
   */
  public static final long DEFAULT_COST_LIMIT = 1_000_000L;

  /** Kubernetes' maximum expression length ({@code CELSelectorExpressionMaxLength}). */
  public static final int MAX_EXPRESSION_LENGTH = 10 * 1024;

  static final OpaqueType QUANTITY = OpaqueType.create("kubernetes.Quantity");
  static final OpaqueType SEMVER = OpaqueType.create("kubernetes.Semver");

  // Kubernetes offers version 2 of the strings extension: no reverse(). Its format() is not
  // available in cel-java and is therefore not offered (an expression using it fails to compile).
  private static final CelStringExtensions STRINGS =
      CelExtensions.strings(
          CelStringExtensions.Function.CHAR_AT,
          CelStringExtensions.Function.INDEX_OF,
          CelStringExtensions.Function.JOIN,
          CelStringExtensions.Function.LAST_INDEX_OF,
          CelStringExtensions.Function.LOWER_ASCII,
          CelStringExtensions.Function.QUOTE,
          CelStringExtensions.Function.REPLACE,
          CelStringExtensions.Function.SPLIT,
          CelStringExtensions.Function.SUBSTRING,
          CelStringExtensions.Function.TRIM,
          CelStringExtensions.Function.UPPER_ASCII);

  private static final Set<String> DEVICE_FIELDS =
      Set.of("driver", "attributes", "capacity", "allowMultipleAllocations");

  private final Cel cel;
  private final long costLimit;

  private SelectorEnvironment(long costLimit) {
    if (costLimit <= 0) {
      throw new IllegalArgumentException("cost limit must be positive: " + costLimit);
    }
    this.costLimit = costLimit;
    CelOptions options =
        CelOptions.current()
            .enableHeterogeneousNumericComparisons(true)
            .comprehensionMaxIterations((int) Math.min(Integer.MAX_VALUE, costLimit))
            .build();
    this.cel =
        CelFactory.legacyCelBuilder()
            .setOptions(options)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("device", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addCompilerLibraries(
                STRINGS,
                CelExtensions.lists(),
                CelExtensions.sets(options),
                CelExtensions.optional(),
                CelExtensions.bindings())
            .addRuntimeLibraries(
                STRINGS,
                CelExtensions.lists(),
                CelExtensions.sets(options),
                CelExtensions.optional())
            .addFunctionDeclarations(KubernetesLibraries.declarations())
            .addFunctionBindings(KubernetesLibraries.bindings())
            .build();
  }

  /** The environment with Kubernetes' default cost limit. */
  public static SelectorEnvironment create() {
    return new SelectorEnvironment(DEFAULT_COST_LIMIT);
  }

  /** An environment with another cost limit (evaluation steps per selector run). */
  public static SelectorEnvironment withCostLimit(long costLimit) {
    return new SelectorEnvironment(costLimit);
  }

  /** Compiles one selector; never throws for invalid input. */
  public Compilation compile(String expression) {
    if (expression.length() > MAX_EXPRESSION_LENGTH) {
      return new Compilation.Invalid(
          expression,
          "compilation failed: expression is longer than " + MAX_EXPRESSION_LENGTH + " bytes");
    }
    CelAbstractSyntaxTree ast;
    try {
      ast = cel.compile(expression).getAst();
    } catch (CelValidationException e) {
      return new Compilation.Invalid(expression, "compilation failed: " + e.getMessage());
    }
    Optional<String> unknownField = unknownDeviceField(ast);
    if (unknownField.isPresent()) {
      return new Compilation.Invalid(
          expression,
          "compilation failed: ERROR: <input>: undefined field '" + unknownField.get() + "'");
    }
    Optional<String> mixed = HomogeneousLiterals.firstViolation(ast);
    if (mixed.isPresent()) {
      return new Compilation.Invalid(expression, "compilation failed: ERROR: " + mixed.get());
    }
    CelKind kind = ast.getResultType().kind();
    if (kind != CelKind.BOOL && kind != CelKind.DYN) {
      return new Compilation.Invalid(
          expression, "must evaluate to bool, not " + ast.getResultType().name());
    }
    try {
      return new Compilation.Compiled(
          new CompiledSelector(expression, cel.createProgram(ast), costLimit));
    } catch (CelEvaluationException e) {
      return new Compilation.Invalid(expression, "program instantiation failed: " + e.getMessage());
    }
  }

  /**
   * {@code device} is declared as a map so that cel-java needs no struct type; the fields of
   * Kubernetes' {@code DRADevice} object type are enforced here instead, at compile time as there.
   */
  private static Optional<String> unknownDeviceField(CelAbstractSyntaxTree ast) {
    return CelNavigableAst.fromAst(ast)
        .getRoot()
        .allNodes()
        .map(n -> n.expr())
        .filter(e -> e.getKind() == CelExpr.ExprKind.Kind.SELECT)
        .filter(
            e ->
                e.select().operand().getKind() == CelExpr.ExprKind.Kind.IDENT
                    && e.select().operand().ident().name().equals("device"))
        .map(e -> e.select().field())
        .filter(f -> !DEVICE_FIELDS.contains(f))
        .findFirst();
  }
}
