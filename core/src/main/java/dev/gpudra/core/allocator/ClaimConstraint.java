package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A claim constraint during the search. Devices are added as they are tentatively chosen and
 * removed, in reverse order, on backtracking. Constraints are monotonic: once adding a device
 * fails, adding more devices never makes the set valid again, which lets the search prune early.
 */
sealed interface ClaimConstraint {

  /**
   * Records the device if it satisfies the constraint; returns false (recording nothing) if not.
   */
  boolean add(RequestView request, DeviceEntry device);

  /** Undoes the matching successful {@link #add}. */
  void remove(RequestView request, DeviceEntry device);

  /** Whether the constraint governs devices of this request (empty list means every request). */
  static boolean applies(Set<String> requests, RequestView request) {
    return requests.isEmpty()
        || requests.contains(request.baseName())
        || (request.parentName() != null && requests.contains(request.fullName()));
  }

  /**
   * The attribute by fully qualified name; an attribute without domain counts as being in the
   * driver's domain.
   */
  static DeviceAttribute lookup(DeviceEntry device, String qualifiedName) {
    var attributes = device.device.getAttributes();
    if (attributes == null) {
      return null;
    }
    DeviceAttribute a = attributes.get(qualifiedName);
    if (a != null) {
      return a;
    }
    int slash = qualifiedName.indexOf('/');
    if (slash < 0 || !qualifiedName.substring(0, slash).equals(device.id.driver())) {
      return null;
    }
    return attributes.get(qualifiedName.substring(slash + 1));
  }

  /** The one typed value of an attribute, or null when it has none the constraint understands. */
  static Object valueOf(DeviceAttribute a) {
    if (a.getString() != null) {
      return a.getString();
    }
    if (a.getInt() != null) {
      return a.getInt();
    }
    if (a.getBool() != null) {
      return a.getBool();
    }
    if (a.getVersion() != null) {
      // Versions are in minimal semver form, so string equality is version equality.
      return new Version(a.getVersion());
    }
    return null;
  }

  /** A version attribute's value; a distinct type so that it never equals a string value. */
  record Version(String text) {}

  /**
   * {@code matchAttribute}: all governed devices have the attribute with one and the same value.
   */
  final class MatchAttribute implements ClaimConstraint {
    private final Set<String> requests;
    private final String attribute;
    private Object value;
    private int devices;

    MatchAttribute(Set<String> requests, String attribute) {
      this.requests = Set.copyOf(requests);
      this.attribute = Objects.requireNonNull(attribute);
    }

    @Override
    public boolean add(RequestView request, DeviceEntry device) {
      if (!applies(requests, request)) {
        return true;
      }
      DeviceAttribute a = lookup(device, attribute);
      if (a == null) {
        return false;
      }
      Object v = valueOf(a);
      if (devices == 0) {
        value = v;
        devices = 1;
        return true;
      }
      if (v == null || !v.equals(value)) {
        return false;
      }
      devices++;
      return true;
    }

    @Override
    public void remove(RequestView request, DeviceEntry device) {
      if (applies(requests, request)) {
        devices--;
      }
    }
  }

  /** {@code distinctAttribute}: all governed devices have the attribute, each a different value. */
  final class DistinctAttribute implements ClaimConstraint {
    private final Set<String> requests;
    private final String attribute;
    private final List<Object> values = new ArrayList<>();

    DistinctAttribute(Set<String> requests, String attribute) {
      this.requests = Set.copyOf(requests);
      this.attribute = Objects.requireNonNull(attribute);
    }

    @Override
    public boolean add(RequestView request, DeviceEntry device) {
      if (!applies(requests, request)) {
        return true;
      }
      DeviceAttribute a = lookup(device, attribute);
      if (a == null) {
        return false;
      }
      Object v = valueOf(a);
      // A value of no known type is distinct only from nothing: it cannot be compared.
      if ((v == null && !values.isEmpty()) || (v != null && values.contains(v))) {
        return false;
      }
      values.add(v);
      return true;
    }

    @Override
    public void remove(RequestView request, DeviceEntry device) {
      if (applies(requests, request)) {
        values.remove(values.size() - 1);
      }
    }
  }
}
