package dev.gpudra.core.explain;

import dev.gpudra.core.cel.DeviceInput;
import dev.gpudra.core.explain.ClusterDevices.Candidate;
import dev.gpudra.core.explain.ClusterDevices.DeviceKey;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The devices of each ResourceSlice as diagnosis sees them ({@link Candidate}s with their selector
 * input), built once per version of the slice and reused while it is unchanged.
 *
 * <p>Why: building a device's selector input (attribute maps, quantities, versions) is most of what
 * explaining a claim costs on a large cluster, and a long-running controller rebuilds its explain
 * snapshot whenever anything changes (a claim allocated, a pod bound) while the slices mostly stay
 * as they were. Held by whoever keeps an explainer across cluster states.
 *
 * <p>Invariants: an entry is reused only for the very same slice object, or for a slice with the
 * same uid and resourceVersion (which the API server changes on every write, so the content is the
 * same); slices must not be mutated in place while cached, as informer caches replace objects
 * rather than mutate them. {@link #retainOnly} drops slices that are gone, so the cache holds at
 * most the current slices (plus those an older snapshot still builds from until the next sweep),
 * and never more than {@code maxSlices}. Thread-safe.
 */
public final class DeviceViewCache {

  /** Enough for several thousand nodes with a few slices each. */
  public static final int DEFAULT_MAX_SLICES = 65_536;

  /**
   * A slice's devices as diagnosis sees them.
   *
   * @param devices the devices diagnosis can evaluate
   * @param partial whether some device was left out (binding conditions, an attribute the selector
   *     input cannot hold), so the allocator may see more than diagnosis does
   */
  record SliceView(List<Candidate> devices, boolean partial) {}

  /** What a slice was cached as: the object and version the view was built from. */
  private record Entry(ResourceSlice slice, String uid, String resourceVersion, SliceView view) {}

  private final int maxSlices;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  /** The devices of the latest set of slices asked for; null before the first. */
  private volatile PublishedDevices latest;

  /** A cache for at most {@code maxSlices} slices; 0 caches nothing. */
  public DeviceViewCache(int maxSlices) {
    if (maxSlices < 0) {
      throw new IllegalArgumentException("maxSlices must not be negative: " + maxSlices);
    }
    this.maxSlices = maxSlices;
  }

  /** The view of {@code slice}: the cached one while the slice is unchanged, else built anew. */
  SliceView of(ResourceSlice slice) {
    String key = key(slice);
    if (key == null) {
      return build(slice);
    }
    String uid = uid(slice);
    String version = slice.getMetadata().getResourceVersion();
    Entry cached = entries.get(key);
    if (cached != null
        && (sameObject(cached.slice(), slice)
            || (uid != null
                && version != null
                && !version.isEmpty()
                && uid.equals(cached.uid())
                && version.equals(cached.resourceVersion())))) {
      return cached.view();
    }
    SliceView view = build(slice);
    if (cached != null || entries.size() < maxSlices) {
      // Concurrent builders of one version put equal views; the last write wins.
      entries.put(key, new Entry(slice, uid, version, view));
    }
    return view;
  }

  /** Identity, not equality: an object without a version is trusted only as itself. */
  @SuppressWarnings("ReferenceEquality")
  private static boolean sameObject(ResourceSlice a, ResourceSlice b) {
    return a == b;
  }

  /**
   * The devices {@code slices} publish: the same object as last time while no slice changed (so
   * that what selector clauses found on each device carries over), else built from the slices'
   * views.
   */
  PublishedDevices published(List<ResourceSlice> slices) {
    List<SliceView> views = new ArrayList<>(slices.size());
    for (ResourceSlice slice : slices) {
      views.add(of(slice));
    }
    PublishedDevices last = latest;
    if (last != null && last.builtFrom(views)) {
      return last;
    }
    PublishedDevices built = new PublishedDevices(slices, views);
    if (maxSlices > 0) {
      latest = built;
    }
    return built;
  }

  /**
   * Forgets every slice not among {@code current} (deleted ones), so that the cache holds only what
   * the cluster has now.
   */
  public void retainOnly(List<ResourceSlice> current) {
    Set<String> keys = new HashSet<>();
    for (ResourceSlice s : current) {
      String key = key(s);
      if (key != null) {
        keys.add(key);
      }
    }
    entries.keySet().retainAll(keys);
  }

  /** How many slices are cached. */
  public int size() {
    return entries.size();
  }

  /** The uid, else the name (objects without a uid are matched by identity only); or null. */
  private static String key(ResourceSlice slice) {
    if (slice.getMetadata() == null) {
      return null;
    }
    String uid = uid(slice);
    if (uid != null) {
      return "uid:" + uid;
    }
    String name = slice.getMetadata().getName();
    return name == null || name.isEmpty() ? null : "name:" + name;
  }

  private static String uid(ResourceSlice slice) {
    String uid = slice.getMetadata().getUid();
    return uid == null || uid.isEmpty() ? null : uid;
  }

  /** The devices of {@code slice} diagnosis can evaluate, each with its node and selector input. */
  private static SliceView build(ResourceSlice slice) {
    ResourceSliceSpec spec = slice.getSpec();
    if (spec == null || spec.getPool() == null) {
      return new SliceView(List.of(), false);
    }
    String driver = spec.getDriver();
    String pool = spec.getPool().getName();
    String node =
        spec.getNodeName() == null || spec.getNodeName().isEmpty() ? null : spec.getNodeName();
    boolean perDevice = Boolean.TRUE.equals(spec.getPerDeviceNodeSelection());
    List<Candidate> devices = new ArrayList<>();
    boolean partial = false;
    for (Device device : ClusterDevices.nullToEmpty(spec.getDevices())) {
      if (device.getBindingConditions() != null && !device.getBindingConditions().isEmpty()) {
        partial = true;
        continue;
      }
      DeviceInput input;
      try {
        input = DeviceInput.of(driver, device);
      } catch (IllegalArgumentException e) {
        partial = true;
        continue;
      }
      String deviceNode = perDevice ? device.getNodeName() : null;
      devices.add(
          new Candidate(
              new DeviceKey(driver, pool, device.getName()),
              node != null ? node : deviceNode == null || deviceNode.isEmpty() ? null : deviceNode,
              Boolean.TRUE.equals(perDevice ? device.getAllNodes() : spec.getAllNodes()),
              perDevice ? device.getNodeSelector() : spec.getNodeSelector(),
              device,
              input,
              label(driver, device),
              -1));
    }
    return new SliceView(List.copyOf(devices), partial);
  }

  /** What people call the device: its product name (and MIG profile), else its name. */
  private static String label(String driver, Device device) {
    Map<String, DeviceAttribute> attributes =
        device.getAttributes() == null ? Map.of() : device.getAttributes();
    String product = string(attributes, driver, "productName");
    String profile = string(attributes, driver, "profile");
    if (product == null) {
      return profile != null ? "MIG " + profile : device.getName();
    }
    return profile != null ? product + " MIG " + profile : product;
  }

  private static String string(
      Map<String, DeviceAttribute> attributes, String driver, String name) {
    DeviceAttribute a = attributes.get(name);
    if (a == null) {
      a = attributes.get(driver + "/" + name);
    }
    return a == null ? null : a.getString();
  }
}
