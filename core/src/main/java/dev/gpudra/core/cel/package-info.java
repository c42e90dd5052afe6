/**
 * The CEL environment of DRA device selectors on cel-java: {@link
 * dev.gpudra.core.cel.SelectorEnvironment} compiles expressions with Kubernetes' variables,
 * libraries and error classes, {@link dev.gpudra.core.cel.SelectorCache} keeps compiled programs,
 * {@link dev.gpudra.core.cel.DeviceInput} is the {@code device} variable, and {@link
 * dev.gpudra.core.cel.QuantityValue} and {@link dev.gpudra.core.cel.SemverValue} are Kubernetes'
 * {@code quantity} and {@code semver} types.
 *
 * <p>Differences from Kubernetes: the strings extension lacks {@code format()} (cel-java has none),
 * so expressions using it fail to compile; the cost limit counts evaluation steps (cel-java has no
 * cost model), so it is looser than Kubernetes' for string-heavy expressions; there is no static
 * cost estimate at compile time; {@code device} is a map at type-check time, so a non-boolean
 * expression built from {@code device} fields is caught at run time rather than at compile time
 * (unknown {@code device} fields are caught at compile time).
 */
package dev.gpudra.core.cel;
