package dev.gpudra.core.checkpoint;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the node has prepared, as persisted: the boot it was prepared in and the claims by UID.
 * Immutable; every change returns a new checkpoint, so a failed save leaves the previous one intact
 * in memory as on disk.
 *
 * @param bootId the kernel's boot id when these claims were prepared; after a reboot nothing is
 *     prepared any more
 * @param claims claims by UID, sorted so that the encoding is deterministic
 */
public record Checkpoint(String bootId, Map<String, PreparedClaim> claims) {

  /** Copies and checks that every key is its claim's UID. */
  public Checkpoint {
    Objects.requireNonNull(bootId, "bootId");
    claims = Collections.unmodifiableMap(new TreeMap<>(claims));
    claims.forEach(
        (uid, claim) -> {
          if (!uid.equals(claim.uid())) {
            throw new IllegalArgumentException("claim keyed " + uid + " has uid " + claim.uid());
          }
        });
  }

  /** Nothing prepared in boot {@code bootId}. */
  public static Checkpoint empty(String bootId) {
    return new Checkpoint(bootId, Map.of());
  }

  /** The entry of claim {@code uid}. */
  public Optional<PreparedClaim> claim(String uid) {
    return Optional.ofNullable(claims.get(uid));
  }

  /** With {@code claim} added or replaced. */
  public Checkpoint with(PreparedClaim claim) {
    Map<String, PreparedClaim> next = new TreeMap<>(claims);
    next.put(claim.uid(), claim);
    return new Checkpoint(bootId, next);
  }

  /** Without claim {@code uid}; the same checkpoint when absent. */
  public Checkpoint without(String uid) {
    if (!claims.containsKey(uid)) {
      return this;
    }
    Map<String, PreparedClaim> next = new TreeMap<>(claims);
    next.remove(uid);
    return new Checkpoint(bootId, next);
  }

  /** All entries, sorted by UID. */
  public Collection<PreparedClaim> entries() {
    return claims.values();
  }

  /**
   * Devices of other claims that {@code devices} of claim {@code uid} may not share, as readable
   * conflict descriptions ({@code gpu-0 held by claim ns/name (uid)}); empty when none.
   */
  public List<String> conflicts(String uid, List<CheckpointedDevice> devices) {
    // Plain loops: this runs under the node state's lock on every prepare, over every entry.
    Set<String> found = new LinkedHashSet<>();
    for (CheckpointedDevice mine : devices) {
      for (PreparedClaim other : claims.values()) {
        if (other.uid().equals(uid)) {
          continue;
        }
        for (CheckpointedDevice theirs : other.devices()) {
          if (theirs.deviceName().equals(mine.deviceName())
              && theirs.poolName().equals(mine.poolName())
              && mine.excludes(theirs)) {
            found.add(
                mine.deviceName()
                    + " is held by claim "
                    + other.namespace()
                    + "/"
                    + other.name()
                    + " ("
                    + other.uid()
                    + ")");
          }
        }
      }
    }
    return List.copyOf(found);
  }
}
