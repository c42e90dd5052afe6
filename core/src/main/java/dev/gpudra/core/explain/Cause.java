package dev.gpudra.core.explain;

import java.util.Objects;

/**
 * One concrete reason why a claim is pending, in words a user can act on.
 *
 * @param request the request ({@code gpu}, {@code gpu/h100} for a sub-request), or empty for the
 *     claim as a whole
 * @param kind what sort of reason, for tools
 * @param text the reason, e.g. {@code request "gpu": 8x NVIDIA H100 80GB HBM3 on gpu-h100-8x:
 *     memory 81559Mi (79.6Gi) < 80Gi}
 */
public record Cause(String request, Kind kind, String text) {

  /** Sorts of reasons; every kind but {@link #OTHER} names something concrete to change. */
  public enum Kind {
    /** A selector clause is false on the candidate devices. */
    SELECTOR,
    /** The request's DeviceClass does not exist, or a selector does not compile or run. */
    INVALID,
    /** Fewer matching devices than the request asks for on any node. */
    COUNT,
    /** Matching devices are held by other claims. */
    HELD,
    /** Matching devices carry a taint no toleration of the request matches. */
    TAINT,
    /** A shared counter (e.g. MIG memory slices) is used up. */
    COUNTER,
    /** Consumable capacity of shared devices is used up. */
    CAPACITY,
    /** A matchAttribute/distinctAttribute constraint splits the candidates. */
    CONSTRAINT,
    /** Each request fits on some node, but no node fits them all. */
    NODES,
    /** No devices or pools to allocate from, as the allocator reports it. */
    POOL,
    /** The requests only fail together; no single cause was found. */
    OTHER
  }

  /** Validates. */
  public Cause {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(text, "text");
  }

  /** Whether the cause names something concrete (not {@link Kind#OTHER}). */
  public boolean concrete() {
    return kind != Kind.OTHER;
  }
}
