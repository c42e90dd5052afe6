package dev.gpudra.testkit.cluster;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.names.DriverNames;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequestBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The cluster the controller's tests run against, built in a (mock) API server: device classes,
 * nodes with NVIDIA L4 GPUs published as ResourceSlices the way the plugin maps them, claims
 * pending, allocated or reserved, and pods that use them.
 *
 * <p>The usual scene is {@link #twoL4sOnNodeA()}: the {@value #DRIVER} class and node {@value
 * #NODE_A} with two 24 GiB L4s, on which {@link #unsatisfiableClaim} (80 GiB or more) fits nowhere.
 * The static builders return fabric8 builders, so a test adds what only it needs.
 */
public final class ClusterFixtures {

  /** The driver, and the name of the full-GPU device class it ships. */
  public static final String DRIVER = DriverNames.DRIVER;

  /** The node of {@link #twoL4sOnNodeA()}. */
  public static final String NODE_A = "node-a";

  /** Namespace of the ML team's claims and pods. */
  public static final String ML = "ml";

  /** The shipped class's selector: every device of the driver. */
  public static final String DRIVER_SELECTOR = "device.driver == \"" + DRIVER + "\"";

  /** A claim selector no L4 (24 GiB) satisfies. */
  public static final String AT_LEAST_80_GI =
      "device.capacity[\"" + DRIVER + "\"].memory.compareTo(quantity(\"80Gi\")) >= 0";

  private final KubernetesClient client;

  private ClusterFixtures(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Fixtures that create their objects through {@code client}. */
  public static ClusterFixtures on(KubernetesClient client) {
    return new ClusterFixtures(client);
  }

  /** The {@value #DRIVER} device class, node {@value #NODE_A} and its two L4s' slices. */
  public ClusterFixtures twoL4sOnNodeA() {
    create(deviceClass(DRIVER, DRIVER_SELECTOR));
    create(node(NODE_A));
    publishL4s(NODE_A, 2);
    return this;
  }

  /** Publishes {@code gpus} L4s on {@code node} as slices {@code <node>-<i>}. */
  public ClusterFixtures publishL4s(String node, int gpus) {
    l4Slices(node, gpus).forEach(this::create);
    return this;
  }

  /** Creates {@code object} in the API server and returns what the server stored. */
  public <T extends HasMetadata> T create(T object) {
    return client.resource(object).create();
  }

  /** A device class whose one CEL selector is {@code expression}. */
  public static DeviceClass deviceClass(String name, String expression) {
    return new DeviceClassBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewSelector()
        .withNewCel()
        .withExpression(expression)
        .endCel()
        .endSelector()
        .endSpec()
        .build();
  }

  /** A bare node. */
  public static Node node(String name) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  /** An NVIDIA L4 (24 GiB, not MIG-capable) at PCI bus {@code minor + 1}. */
  public static Gpu l4(int minor) {
    return new Gpu(
        minor,
        minor,
        "GPU-" + minor,
        "NVIDIA L4",
        "Nvidia",
        "Ada Lovelace",
        "8.9",
        24L << 30,
        String.format("0000:%02x:00.0", minor + 1),
        MigMode.NOT_CAPABLE,
        List.of(),
        List.of());
  }

  /**
   * The slices the plugin publishes for {@code gpus} L4s on {@code node} (pool generation 1), named
   * {@code <node>-<i>}.
   */
  public static List<ResourceSlice> l4Slices(String node, int gpus) {
    List<Gpu> list = IntStream.range(0, gpus).mapToObj(ClusterFixtures::l4).toList();
    List<ResourceSliceSpec> specs =
        ResourceSliceMapper.map(
            new NodeInventory("550.54.15", "12.4", list, List.of()),
            new SliceMappingOptions(DRIVER, node, false));
    List<ResourceSlice> slices = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      specs.get(i).getPool().setGeneration(1L);
      slices.add(
          new ResourceSliceBuilder()
              .withNewMetadata()
              .withName(node + "-" + i)
              .endMetadata()
              .withSpec(specs.get(i))
              .build());
    }
    return slices;
  }

  /** A claim with one request {@code gpu} of {@code deviceClass}, mode and count left unset. */
  public static ResourceClaimBuilder claim(String namespace, String name, String deviceClass) {
    return claim(
        namespace, name, new ExactDeviceRequestBuilder().withDeviceClassName(deviceClass).build());
  }

  /** A claim for exactly one device of the {@value #DRIVER} class. */
  public static ResourceClaimBuilder oneGpu(String namespace, String name) {
    return claim(namespace, name, oneDriverDevice().build());
  }

  /** One GPU of at least 80 GiB: pending for good on L4s. */
  public static ResourceClaimBuilder unsatisfiableClaim(String namespace, String name) {
    return claim(
        namespace,
        name,
        oneDriverDevice()
            .addNewSelector()
            .withNewCel()
            .withExpression(AT_LEAST_80_GI)
            .endCel()
            .endSelector()
            .build());
  }

  private static ExactDeviceRequestBuilder oneDriverDevice() {
    return new ExactDeviceRequestBuilder()
        .withDeviceClassName(DRIVER)
        .withAllocationMode("ExactCount")
        .withCount(1L);
  }

  private static ResourceClaimBuilder claim(
      String namespace, String name, ExactDeviceRequest exactly) {
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withNewDevices()
        .addNewRequest()
        .withName("gpu")
        .withExactly(exactly)
        .endRequest()
        .endDevices()
        .endSpec();
  }

  /** {@code claim} allocated device {@code device} of pool {@code node} for request {@code gpu}. */
  public static ResourceClaimBuilder allocatedTo(
      ResourceClaimBuilder claim, String node, String device) {
    return claim
        .withNewStatus()
        .withNewAllocation()
        .withNewDevices()
        .addNewResult()
        .withDriver(DRIVER)
        .withPool(node)
        .withDevice(device)
        .withRequest("gpu")
        .endResult()
        .endDevices()
        .endAllocation()
        .endStatus();
  }

  /** An allocated {@code claim} reserved for pod {@code pod}. */
  public static ResourceClaimBuilder reservedFor(
      ResourceClaimBuilder claim, String pod, String uid) {
    return claim
        .editStatus()
        .addNewReservedFor()
        .withResource("pods")
        .withName(pod)
        .withUid(uid)
        .endReservedFor()
        .endStatus();
  }

  /** {@code claim} owned by {@code pod}, as the claims made from a pod's template are. */
  public static ResourceClaimBuilder ownedBy(ResourceClaimBuilder claim, Pod pod) {
    return claim
        .editMetadata()
        .addNewOwnerReference()
        .withApiVersion("v1")
        .withKind("Pod")
        .withName(pod.getMetadata().getName())
        .withUid(pod.getMetadata().getUid())
        .withController(true)
        .endOwnerReference()
        .endMetadata();
  }

  /** A pod with one container whose claim {@code gpu} is the existing claim {@code claim}. */
  public static Pod podUsing(String namespace, String name, String claim) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewResourceClaim()
        .withName("gpu")
        .withResourceClaimName(claim)
        .endResourceClaim()
        .addNewContainer()
        .withName("main")
        .withImage(name)
        .endContainer()
        .endSpec()
        .build();
  }
}
