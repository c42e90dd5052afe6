package dev.gpudra.plugin.slices;

import dev.gpudra.core.names.DriverNames;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourcePoolBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceList;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only class in the kubelet plugin that writes ResourceSlices: it makes the node's pool in the
 * API server equal to the slices the mapper computed.
 *
 * <p>Invariants:
 *
 * <ul>
 *   <li><b>Zero writes when nothing changed.</b> Existing slices are compared with the desired ones
 *       by content (quantities numerically), ignoring the generation.
 *   <li><b>No half-updated pool.</b> A change writes every slice at generation {@code g+1} first
 *       and deletes what is obsolete last. Consumers use only a pool's highest generation and skip
 *       a pool whose slice count is not complete, so the scheduler sees the old pool, briefly no
 *       pool, then the new one, never a mix.
 *   <li><b>Exact {@code resourceSliceCount}</b> on every slice, as the mapper set it.
 * </ul>
 *
 * <p>Slices carry the label {@value #NODE_LABEL} (how they are listed, since field selectors are
 * not served everywhere) and an owner reference to the Node, so they go when the Node goes.
 *
 * <p>Not thread-safe by itself; {@link SlicePublishLoop} calls it from one thread.
 */
public final class ResourceSlicePublisher {

  /** Label holding the node name on every slice we publish. */
  public static final String NODE_LABEL = DriverNames.DRIVER + "/node";

  private static final Logger LOG = LoggerFactory.getLogger(ResourceSlicePublisher.class);
  private static final int MAX_NAME_LENGTH = 253;

  private final KubernetesClient client;
  private final String driverName;
  private final String nodeName;
  private long writes;

  public ResourceSlicePublisher(KubernetesClient client, String driverName, String nodeName) {
    this.client = Objects.requireNonNull(client, "client");
    this.driverName = Objects.requireNonNull(driverName, "driverName");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
  }

  /** What one {@link #publish} did. */
  public record Outcome(long generation, int created, int updated, int deleted) {
    /** Writes the pass made. */
    public int writes() {
      return created + updated + deleted;
    }
  }

  /** Total writes (creates, updates, deletes) made by this publisher. */
  public long writes() {
    return writes;
  }

  /**
   * Makes the pool equal to {@code desired}.
   *
   * @param desired the mapper's slices, in order; their pool generation is ignored
   * @throws io.fabric8.kubernetes.client.KubernetesClientException on API errors; a later call
   *     picks up from whatever state the API server is in
   */
  public Outcome publish(List<ResourceSliceSpec> desired) {
    List<ResourceSlice> existing = listOurs();
    long generation =
        existing.stream()
            .mapToLong(s -> Optional.ofNullable(s.getSpec().getPool().getGeneration()).orElse(0L))
            .max()
            .orElse(0L);
    if (upToDate(existing, desired, generation)) {
      return new Outcome(generation, 0, 0, 0);
    }

    long next = generation + 1;
    Map<String, ResourceSlice> byName =
        existing.stream()
            .collect(Collectors.toMap(s -> s.getMetadata().getName(), Function.identity()));
    OwnerReference owner = nodeOwner();
    int created = 0;
    int updated = 0;
    List<String> wanted = new ArrayList<>();
    for (int i = 0; i < desired.size(); i++) {
      String name = sliceName(i);
      wanted.add(name);
      ResourceSliceSpec spec = withGeneration(desired.get(i), next);
      if (byName.containsKey(name)) {
        slices()
            .withName(name)
            .edit(
                current ->
                    new ResourceSliceBuilder(current)
                        .editMetadata()
                        .addToLabels(NODE_LABEL, nodeName)
                        .withOwnerReferences(owner == null ? List.of() : List.of(owner))
                        .endMetadata()
                        .withSpec(spec)
                        .build());
        updated++;
      } else {
        slices()
            .resource(
                new ResourceSliceBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .addToLabels(NODE_LABEL, nodeName)
                    .withOwnerReferences(owner == null ? List.of() : List.of(owner))
                    .endMetadata()
                    .withSpec(spec)
                    .build())
            .create();
        created++;
      }
      writes++;
    }
    int deleted = 0;
    for (ResourceSlice obsolete : existing) {
      if (!wanted.contains(obsolete.getMetadata().getName())) {
        slices().withName(obsolete.getMetadata().getName()).delete();
        deleted++;
        writes++;
      }
    }
    LOG.info(
        "Published pool {} generation {}: {} slices ({} created, {} updated, {} deleted)",
        nodeName,
        next,
        desired.size(),
        created,
        updated,
        deleted);
    return new Outcome(next, created, updated, deleted);
  }

  /** Deletes every slice of this node's pool (plugin uninstall). */
  public int deleteAll() {
    List<ResourceSlice> existing = listOurs();
    existing.forEach(s -> slices().withName(s.getMetadata().getName()).delete());
    writes += existing.size();
    return existing.size();
  }

  /** Our slices: labelled for this node, and really ours by driver and node name. */
  List<ResourceSlice> listOurs() {
    return slices().withLabel(NODE_LABEL, nodeName).list().getItems().stream()
        .filter(s -> s.getSpec() != null)
        .filter(s -> driverName.equals(s.getSpec().getDriver()))
        .filter(s -> nodeName.equals(s.getSpec().getNodeName()))
        .sorted(Comparator.comparing(s -> s.getMetadata().getName()))
        .toList();
  }

  private boolean upToDate(
      List<ResourceSlice> existing, List<ResourceSliceSpec> desired, long generation) {
    if (existing.size() != desired.size()) {
      return false;
    }
    for (int i = 0; i < desired.size(); i++) {
      String name = sliceName(i);
      Optional<ResourceSlice> match =
          existing.stream().filter(s -> name.equals(s.getMetadata().getName())).findFirst();
      if (match.isEmpty()) {
        return false;
      }
      ResourceSliceSpec actual = match.get().getSpec();
      if (!Objects.equals(actual.getPool().getGeneration(), generation)
          || !withGeneration(actual, 0).equals(withGeneration(desired.get(i), 0))) {
        return false;
      }
    }
    return true;
  }

  private static ResourceSliceSpec withGeneration(ResourceSliceSpec spec, long generation) {
    return new ResourceSliceSpecBuilder(spec)
        .withPool(new ResourcePoolBuilder(spec.getPool()).withGeneration(generation).build())
        .build();
  }

  /** The Node as owner, so slices are garbage-collected with it; null if it cannot be read. */
  private OwnerReference nodeOwner() {
    var node = client.nodes().withName(nodeName).get();
    if (node == null) {
      LOG.warn("Node {} not found; publishing slices without an owner reference", nodeName);
      return null;
    }
    return new OwnerReferenceBuilder()
        .withApiVersion("v1")
        .withKind("Node")
        .withName(nodeName)
        .withUid(node.getMetadata().getUid())
        .build();
  }

  /**
   * {@code <node>-<driver>-<index>}: stable, so a restart finds its own slices. Node names near the
   * length limit are shortened with a hash to stay unique and valid.
   */
  String sliceName(int index) {
    String name = nodeName + "-" + driverName + "-" + index;
    if (name.length() <= MAX_NAME_LENGTH) {
      return name;
    }
    String prefix =
        nodeName.substring(0, Math.min(nodeName.length(), 180)).replaceAll("[^a-z0-9]+$", "");
    return prefix + "-" + sha256(nodeName).substring(0, 16) + "-" + driverName + "-" + index;
  }

  private NonNamespaceOperation<ResourceSlice, ResourceSliceList, Resource<ResourceSlice>>
      slices() {
    return client.dynamicResourceAllocation().v1().resourcesSlices();
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
