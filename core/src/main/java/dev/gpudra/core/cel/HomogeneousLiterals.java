package dev.gpudra.core.cel;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Kubernetes' CEL environments only accept list and map literals whose elements (keys, values) all
 * have one type, or are {@code dyn} ({@code cel.HomogeneousAggregateLiterals}); cel-java has no
 * such option, so the checked AST is inspected here instead.
 */
final class HomogeneousLiterals {
  private HomogeneousLiterals() {}

  static Optional<String> firstViolation(CelAbstractSyntaxTree ast) {
    return CelNavigableAst.fromAst(ast)
        .getRoot()
        .allNodes()
        .map(n -> n.expr())
        .map(e -> violation(ast, e))
        .flatMap(Optional::stream)
        .findFirst();
  }

  private static Optional<String> violation(CelAbstractSyntaxTree ast, CelExpr e) {
    if (e.getKind() == CelExpr.ExprKind.Kind.LIST) {
      return mixed(ast, e.list().elements());
    }
    if (e.getKind() == CelExpr.ExprKind.Kind.MAP) {
      List<CelExpr> keys = new ArrayList<>();
      List<CelExpr> values = new ArrayList<>();
      e.map()
          .entries()
          .forEach(
              entry -> {
                keys.add(entry.key());
                values.add(entry.value());
              });
      return mixed(ast, keys).or(() -> mixed(ast, values));
    }
    return Optional.empty();
  }

  private static boolean readsDevice(CelExpr element) {
    return CelNavigableExpr.fromExpr(element)
        .allNodes()
        .anyMatch(
            n ->
                n.expr().getKind() == CelExpr.ExprKind.Kind.IDENT
                    && n.expr().ident().name().equals("device"));
  }

  private static Optional<String> mixed(CelAbstractSyntaxTree ast, List<CelExpr> elements) {
    CelType first = null;
    for (CelExpr element : elements) {
      CelType type = ast.getType(element.id()).orElse(null);
      // Values read from `device` are dyn here only because `device` is declared as a map;
      // Kubernetes types them precisely, so they cannot be judged and are let through.
      if (type == null || (type.kind() == CelKind.DYN && readsDevice(element))) {
        continue;
      }
      if (first == null) {
        first = type;
      } else if (!first.equals(type)) {
        return Optional.of("expected type '" + first.name() + "' but found '" + type.name() + "'");
      }
    }
    return Optional.empty();
  }
}
