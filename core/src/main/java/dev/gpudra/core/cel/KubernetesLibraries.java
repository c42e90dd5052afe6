package dev.gpudra.core.cel;

import static dev.cel.common.CelOverloadDecl.newGlobalOverload;
import static dev.cel.common.CelOverloadDecl.newMemberOverload;
import static dev.gpudra.core.cel.SelectorEnvironment.QUANTITY;
import static dev.gpudra.core.cel.SelectorEnvironment.SEMVER;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import java.math.BigDecimal;
import java.util.List;

/**
 * Kubernetes' CEL {@code quantity} and {@code semver} libraries, declared with the same function
 * names, overload shapes (global or member) and semantics as {@code
 * k8s.io/apiserver/pkg/cel/library}.
 */
final class KubernetesLibraries {
  private KubernetesLibraries() {}

  static List<CelFunctionDecl> declarations() {
    return List.of(
        fn("quantity", newGlobalOverload("string_to_quantity", QUANTITY, SimpleType.STRING)),
        fn(
            "isQuantity",
            newGlobalOverload("is_quantity_string", SimpleType.BOOL, SimpleType.STRING)),
        fn("sign", newGlobalOverload("quantity_sign", SimpleType.INT, QUANTITY)),
        fn(
            "isGreaterThan",
            newMemberOverload("quantity_is_greater_than", SimpleType.BOOL, QUANTITY, QUANTITY),
            newMemberOverload("semver_is_greater_than", SimpleType.BOOL, SEMVER, SEMVER)),
        fn(
            "isLessThan",
            newMemberOverload("quantity_is_less_than", SimpleType.BOOL, QUANTITY, QUANTITY),
            newMemberOverload("semver_is_less_than", SimpleType.BOOL, SEMVER, SEMVER)),
        fn(
            "compareTo",
            newMemberOverload("quantity_compare_to", SimpleType.INT, QUANTITY, QUANTITY),
            newMemberOverload("semver_compare_to", SimpleType.INT, SEMVER, SEMVER)),
        fn(
            "asApproximateFloat",
            newMemberOverload("quantity_get_float", SimpleType.DOUBLE, QUANTITY)),
        fn("asInteger", newMemberOverload("quantity_get_int", SimpleType.INT, QUANTITY)),
        fn("isInteger", newMemberOverload("quantity_is_integer", SimpleType.BOOL, QUANTITY)),
        fn(
            "add",
            newMemberOverload("quantity_add", QUANTITY, QUANTITY, QUANTITY),
            newMemberOverload("quantity_add_int", QUANTITY, QUANTITY, SimpleType.INT)),
        fn(
            "sub",
            newMemberOverload("quantity_sub", QUANTITY, QUANTITY, QUANTITY),
            newMemberOverload("quantity_sub_int", QUANTITY, QUANTITY, SimpleType.INT)),
        fn(
            "semver",
            newGlobalOverload("string_to_semver", SEMVER, SimpleType.STRING),
            newGlobalOverload("string_bool_to_semver", SEMVER, SimpleType.STRING, SimpleType.BOOL)),
        fn(
            "isSemver",
            newGlobalOverload("is_semver_string", SimpleType.BOOL, SimpleType.STRING),
            newGlobalOverload(
                "is_semver_string_bool", SimpleType.BOOL, SimpleType.STRING, SimpleType.BOOL)),
        fn("major", newMemberOverload("semver_major", SimpleType.INT, SEMVER)),
        fn("minor", newMemberOverload("semver_minor", SimpleType.INT, SEMVER)),
        fn("patch", newMemberOverload("semver_patch", SimpleType.INT, SEMVER)));
  }

  private static CelFunctionDecl fn(String name, dev.cel.common.CelOverloadDecl... overloads) {
    return CelFunctionDecl.newFunctionDeclaration(name, overloads);
  }

  static List<CelFunctionBinding> bindings() {
    Class<QuantityValue> q = QuantityValue.class;
    Class<SemverValue> s = SemverValue.class;
    return List.of(
        CelFunctionBinding.from("string_to_quantity", String.class, QuantityValue::parse),
        CelFunctionBinding.from("is_quantity_string", String.class, QuantityValue::isQuantity),
        CelFunctionBinding.from("quantity_sign", q, QuantityValue::sign),
        CelFunctionBinding.from("quantity_is_greater_than", q, q, (a, b) -> a.compareTo(b) > 0),
        CelFunctionBinding.from("quantity_is_less_than", q, q, (a, b) -> a.compareTo(b) < 0),
        CelFunctionBinding.from("quantity_compare_to", q, q, (a, b) -> (long) a.compareTo(b)),
        CelFunctionBinding.from("quantity_get_float", q, QuantityValue::asApproximateFloat),
        CelFunctionBinding.from("quantity_get_int", q, QuantityValue::asInteger),
        CelFunctionBinding.from("quantity_is_integer", q, QuantityValue::isInteger),
        CelFunctionBinding.from("quantity_add", q, q, QuantityValue::add),
        CelFunctionBinding.from(
            "quantity_add_int",
            q,
            Long.class,
            (a, b) -> a.add(new QuantityValue(BigDecimal.valueOf(b)))),
        CelFunctionBinding.from("quantity_sub", q, q, QuantityValue::subtract),
        CelFunctionBinding.from(
            "quantity_sub_int",
            q,
            Long.class,
            (a, b) -> a.subtract(new QuantityValue(BigDecimal.valueOf(b)))),
        CelFunctionBinding.from("string_to_semver", String.class, SemverValue::parse),
        CelFunctionBinding.from(
            "string_bool_to_semver",
            String.class,
            Boolean.class,
            (text, normalize) ->
                normalize ? SemverValue.parseNormalized(text) : SemverValue.parse(text)),
        CelFunctionBinding.from(
            "is_semver_string", String.class, t -> SemverValue.isSemver(t, false)),
        CelFunctionBinding.from(
            "is_semver_string_bool", String.class, Boolean.class, SemverValue::isSemver),
        CelFunctionBinding.from("semver_is_greater_than", s, s, (a, b) -> a.compareTo(b) > 0),
        CelFunctionBinding.from("semver_is_less_than", s, s, (a, b) -> a.compareTo(b) < 0),
        CelFunctionBinding.from("semver_compare_to", s, s, (a, b) -> (long) a.compareTo(b)),
        CelFunctionBinding.from("semver_major", s, SemverValue::major),
        CelFunctionBinding.from("semver_minor", s, SemverValue::minor),
        CelFunctionBinding.from("semver_patch", s, SemverValue::patch));
  }
}
