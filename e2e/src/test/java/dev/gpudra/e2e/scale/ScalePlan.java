package dev.gpudra.e2e.scale;

import dev.gpudra.core.claims.WorkloadKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a scale run puts into the cluster, decided up front and deterministically (pure): nodes with
 * the same GPUs each, claims in a fixed mix of states, workloads and request shapes spread over
 * namespaces, the devices of every allocated claim (no device used twice), and a burst of pending
 * claims to allocate later. {@link #expected} gives the counts the controller must converge to.
 *
 * <p>The mix, by claim index {@code i} (so any claim count keeps the proportions):
 *
 * <ul>
 *   <li>{@code i % 10} in 0..3: allocated and reserved for a pod bound to the allocation's node;
 *       the pod is labelled as an agent, an AWS Batch job or neither, in turn.
 *   <li>{@code i % 10} in 4..5: allocated, reserved for nobody.
 *   <li>{@code i % 10} = 6: pending, owned by a pod already bound to a node (as AWS Batch creates
 *       them), labelled as a Batch job.
 *   <li>{@code i % 10} in 7..9: pending, no pod.
 * </ul>
 *
 * Allocated claims ask for one GPU, one GPU with at least 40Gi, or (one in ten) two GPUs; pending
 * ones ask for any of these or for a GPU model no node has.
 *
 * @param prefix name prefix of the nodes and namespaces, so a run can share a control plane
 * @param nodes node names
 * @param deviceNames the device names every node's slice publishes
 * @param namespaces namespaces the claims are spread over
 * @param claims every claim
 * @param burst pending claims (no pod) that {@link ScaleLoader#allocateBurst} allocates, each with
 *     the devices it gets
 */
public record ScalePlan(
    String prefix,
    List<String> nodes,
    List<String> deviceNames,
    List<String> namespaces,
    List<PlannedClaim> claims,
    List<PlannedClaim> burst) {

  /** What a claim asks for. */
  public enum Shape {
    /** One GPU. */
    ONE_GPU(1, null),
    /** One GPU with at least 40Gi of memory (the {@code examples/gpu-40gi} selector). */
    GPU_40GI(1, "device.capacity[\"gpu.gpudra.dev\"].memory.compareTo(quantity(\"40Gi\")) >= 0"),
    /** Two GPUs. */
    TWO_GPUS(2, null),
    /** A model no node has: stays pending whatever is free. */
    B200(1, "device.attributes[\"gpu.gpudra.dev\"].productName == \"NVIDIA B200\"");

    private final int count;
    private final String selector;

    Shape(int count, String selector) {
      this.count = count;
      this.selector = selector;
    }

    /** Devices asked for. */
    public int count() {
      return count;
    }

    /** The CEL selector, or null. */
    public String selector() {
      return selector;
    }
  }

  /** The controller's claim states, as its {@code state} label spells them. */
  public enum State {
    PENDING("pending"),
    ALLOCATED("allocated"),
    RESERVED("reserved");

    private final String label;

    State(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** An allocated device: pool (= node) and device name. */
  public record PlannedDevice(String node, String device) {}

  /**
   * A pod bound to a node, using a claim.
   *
   * @param owns whether the pod owns the claim (as pods own claims made from their templates)
   */
  public record PlannedPod(
      String namespace, String name, String node, Map<String, String> labels, boolean owns) {}

  /**
   * One claim.
   *
   * @param devices the devices it holds (empty when pending)
   * @param pod the pod using it, or null
   * @param workload the workload label the controller should give it
   */
  public record PlannedClaim(
      String namespace,
      String name,
      Shape shape,
      State state,
      List<PlannedDevice> devices,
      PlannedPod pod,
      WorkloadKind workload) {}

  /** Workloads of the reserved claims' pods, in turn. */
  private static final List<WorkloadKind> RESERVED_WORKLOADS =
      List.of(WorkloadKind.AGENT, WorkloadKind.AWS_BATCH, WorkloadKind.OTHER);

  /** Shapes of pending claims, in turn. */
  private static final List<Shape> PENDING_SHAPES =
      List.of(Shape.ONE_GPU, Shape.GPU_40GI, Shape.TWO_GPUS, Shape.B200);

  public ScalePlan {
    nodes = List.copyOf(nodes);
    deviceNames = List.copyOf(deviceNames);
    namespaces = List.copyOf(namespaces);
    claims = List.copyOf(claims);
    burst = List.copyOf(burst);
  }

  /**
   * Plans {@code nodeCount} nodes publishing {@code deviceNames}, {@code claimCount} claims over
   * {@code namespaceCount} namespaces, and a burst of {@code burstCount} pending claims.
   *
   * @throws IllegalArgumentException when the nodes have too few devices for the allocations
   */
  public static ScalePlan of(
      String prefix,
      int nodeCount,
      List<String> deviceNames,
      int claimCount,
      int namespaceCount,
      int burstCount) {
    Objects.requireNonNull(prefix, "prefix");
    if (deviceNames.size() < 2) {
      throw new IllegalArgumentException("nodes need at least 2 devices, got " + deviceNames);
    }
    List<String> nodes = new ArrayList<>();
    for (int n = 0; n < nodeCount; n++) {
      nodes.add(String.format("%s-node-%04d", prefix, n));
    }
    List<String> namespaces = new ArrayList<>();
    for (int n = 0; n < namespaceCount; n++) {
      namespaces.add(prefix + "-" + n);
    }
    DeviceCursor free = new DeviceCursor(nodes, deviceNames);
    List<PlannedClaim> claims = new ArrayList<>();
    for (int i = 0; i < claimCount; i++) {
      String namespace = namespaces.get(i % namespaceCount);
      String name = String.format("claim-%05d", i);
      int slot = i % 10;
      int round = i / 10;
      if (slot <= 5) {
        Shape shape =
            round % 10 == 0 ? Shape.TWO_GPUS : round % 10 <= 3 ? Shape.GPU_40GI : Shape.ONE_GPU;
        List<PlannedDevice> devices = free.take(shape.count(), name);
        if (slot <= 3) {
          WorkloadKind workload = RESERVED_WORKLOADS.get(round % RESERVED_WORKLOADS.size());
          PlannedPod pod =
              new PlannedPod(
                  namespace, name + "-pod", devices.getFirst().node(), labels(workload, i), false);
          claims.add(
              new PlannedClaim(namespace, name, shape, State.RESERVED, devices, pod, workload));
        } else {
          claims.add(
              new PlannedClaim(
                  namespace, name, shape, State.ALLOCATED, devices, null, WorkloadKind.OTHER));
        }
      } else {
        Shape shape = PENDING_SHAPES.get(round % PENDING_SHAPES.size());
        if (slot == 6) {
          PlannedPod pod =
              new PlannedPod(
                  namespace,
                  name + "-pod",
                  nodes.get(i % nodeCount),
                  labels(WorkloadKind.AWS_BATCH, i),
                  true);
          claims.add(
              new PlannedClaim(
                  namespace, name, shape, State.PENDING, List.of(), pod, WorkloadKind.AWS_BATCH));
        } else {
          claims.add(
              new PlannedClaim(
                  namespace, name, shape, State.PENDING, List.of(), null, WorkloadKind.OTHER));
        }
      }
    }
    List<PlannedClaim> burst = new ArrayList<>();
    for (PlannedClaim claim : claims) {
      if (burst.size() == burstCount) {
        break;
      }
      if (claim.state() == State.PENDING
          && claim.pod() == null
          && claim.shape().count() == 1
          && claim.shape() != Shape.B200) {
        burst.add(
            new PlannedClaim(
                claim.namespace(),
                claim.name(),
                claim.shape(),
                State.ALLOCATED,
                free.take(1, claim.name()),
                null,
                WorkloadKind.OTHER));
      }
    }
    if (burst.size() < burstCount) {
      throw new IllegalArgumentException(
          "only " + burst.size() + " pending claims can take part in a burst of " + burstCount);
    }
    return new ScalePlan(prefix, nodes, deviceNames, namespaces, claims, burst);
  }

  private static Map<String, String> labels(WorkloadKind workload, int i) {
    return switch (workload) {
      case AGENT -> Map.of(WorkloadKind.WORKLOAD_LABEL, "agent");
      case AWS_BATCH -> Map.of(WorkloadKind.AWS_BATCH_JOB_LABEL, "job-" + i);
      case OTHER -> Map.of("app", "training");
    };
  }

  /** Devices published in all. */
  public int deviceCount() {
    return nodes.size() * deviceNames.size();
  }

  /** Pods the plan creates. */
  public List<PlannedPod> pods() {
    return claims.stream().map(PlannedClaim::pod).filter(Objects::nonNull).toList();
  }

  /** The counts the controller's metrics must show, before or after the burst. */
  public ScaleCounts expected(boolean afterBurst) {
    Map<String, PlannedClaim> byKey = new LinkedHashMap<>();
    claims.forEach(c -> byKey.put(c.namespace() + "/" + c.name(), c));
    if (afterBurst) {
      burst.forEach(c -> byKey.put(c.namespace() + "/" + c.name(), c));
    }
    Map<String, Long> states = new TreeMap<>();
    Map<String, Long> workloads = new TreeMap<>();
    long allocatedDevices = 0;
    for (PlannedClaim claim : byKey.values()) {
      states.merge(claim.state().label(), 1L, Long::sum);
      workloads.merge(claim.workload().label(), 1L, Long::sum);
      allocatedDevices += claim.devices().size();
    }
    Map<String, Long> devices = new TreeMap<>();
    devices.put("allocated", allocatedDevices);
    devices.put("free", deviceCount() - allocatedDevices);
    devices.values().removeIf(v -> v == 0);
    return new ScaleCounts(states, workloads, devices);
  }

  /** Hands out free devices node by node; a claim's devices are all on one node. */
  private static final class DeviceCursor {
    private final List<String> nodes;
    private final List<String> devices;
    private int node;
    private int device;

    DeviceCursor(List<String> nodes, List<String> devices) {
      this.nodes = nodes;
      this.devices = devices;
    }

    List<PlannedDevice> take(int count, String claim) {
      if (devices.size() - device < count) {
        node++;
        device = 0;
      }
      if (node >= nodes.size()) {
        throw new IllegalArgumentException(
            "out of devices at claim " + claim + ": plan more nodes or fewer claims");
      }
      List<PlannedDevice> taken = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        taken.add(new PlannedDevice(nodes.get(node), devices.get(device++)));
      }
      return taken;
    }
  }
}
