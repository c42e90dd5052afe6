package dev.gpudra.controller.prebound;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ResourceClaimTemplates that rewritten pre-bound pods refer to: one per namespace, DeviceClass
 * and device count, created on first use and then left in place (they are tiny, and a template
 * removed while a pod still refers to it would leave that pod without its claim).
 *
 * <p>Claims made from them carry the label {@value #LABEL}, which is how the pre-bound allocator
 * recognises the claims it must allocate. Thread-safe.
 */
public final class ClaimTemplates {

  /** Label on the templates and, copied by the resource-claim controller, on their claims. */
  public static final String LABEL = "gpu.gpudra.dev/prebound";

  /** The request name inside the templates' claims. */
  public static final String REQUEST = "gpus";

  /**
   * What one template asks for.
   *
   * @param deviceClass the DeviceClass of the devices
   * @param count how many devices, exactly
   */
  public record Shape(String deviceClass, long count) {
    /** Validates. */
    public Shape {
      Objects.requireNonNull(deviceClass, "deviceClass");
      if (count < 1) {
        throw new IllegalArgumentException("count must be >= 1, got " + count);
      }
    }
  }

  private final KubernetesClient client;

  /** Templates known to exist, as {@code namespace/name}; saves a GET per admitted pod. */
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  public ClaimTemplates(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The template's name: {@code gpudra-<class with dots as dashes>-<count>}. */
  public static String name(Shape shape) {
    return "gpudra-"
        + shape.deviceClass().toLowerCase(Locale.ROOT).replace('.', '-')
        + "-"
        + shape.count();
  }

  /** The template for {@code shape} in {@code namespace}. */
  public static ResourceClaimTemplate template(String namespace, Shape shape) {
    return new ResourceClaimTemplateBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name(shape))
        .withLabels(Map.of(LABEL, "true", "app.kubernetes.io/managed-by", "gpudra-controller"))
        .endMetadata()
        .withNewSpec()
        .withNewMetadata()
        .withLabels(Map.of(LABEL, "true"))
        .endMetadata()
        .withNewSpec()
        .withNewDevices()
        .addNewRequest()
        .withName(REQUEST)
        .withNewExactly()
        .withDeviceClassName(shape.deviceClass())
        .withAllocationMode("ExactCount")
        .withCount(shape.count())
        .endExactly()
        .endRequest()
        .endDevices()
        .endSpec()
        .endSpec()
        .build();
  }

  /**
   * Makes sure the template for {@code shape} exists in {@code namespace}. Idempotent: an existing
   * template (ours or one created concurrently) is left as it is.
   *
   * @throws KubernetesClientException when it can be neither found nor created
   */
  public void ensure(String namespace, Shape shape) {
    String key = namespace + "/" + name(shape);
    if (known.contains(key)) {
      return;
    }
    var templates = client.dynamicResourceAllocation().v1().resourceClaimTemplates();
    if (templates.inNamespace(namespace).withName(name(shape)).get() == null) {
      try {
        templates.inNamespace(namespace).resource(template(namespace, shape)).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }
    known.add(key);
  }
}
