package dev.gpudra.controller.prebound;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How a pod that arrives already bound to a node ({@code spec.nodeName} set, as AWS Batch creates
 * them) and asks for an extended resource that a DeviceClass of ours maps ({@code nvidia.com/gpu})
 * is rewritten so that this driver can serve it: each container's extended-resource request becomes
 * a pod claim made from a {@link ClaimTemplates#name ResourceClaimTemplate} for the same number of
 * devices of that class, and the extended resource is removed from the container's requests and
 * limits.
 *
 * <p>Why this shape: the kubelet rejects a pre-bound pod that still asks for {@code nvidia.com/gpu}
 * wherever the node lists the resource below the count, and admits it without any GPU where the
 * node does not list it; a pod claim instead makes the kubelet wait until the claim is allocated
 * and reserved, so the container never starts without its GPUs. A template (rather than a claim the
 * webhook creates) lets the resource-claim controller create the claim with the pod's UID as owner
 * once the pod exists, and delete it with the pod; mutating admission runs before the pod has a
 * UID.
 *
 * <p>Pure: the same pod and mapping give the same patch.
 *
 * @param patch RFC 6902 operations on the pod, in order
 * @param templates the templates the patched pod refers to, which must exist in its namespace
 * @param requested per container, the extended resources that were replaced, for the pod's
 *     annotation
 */
public record PreboundPodRewrite(
    List<Map<String, Object>> patch, List<ClaimTemplates.Shape> templates, String requested) {

  /** Annotation recording what a rewritten pod originally asked for. */
  public static final String ANNOTATION = "gpu.gpudra.dev/prebound-extended-resources";

  /** Prefix of the pod claim names the rewrite adds ({@code gpudra-<container index>}). */
  public static final String POD_CLAIM_PREFIX = "gpudra-";

  /** Freezes. */
  public PreboundPodRewrite {
    patch = List.copyOf(patch);
    templates = List.copyOf(templates);
  }

  /**
   * The rewrite for {@code pod}, or empty when it needs none: no node yet (the scheduler serves it
   * through the DeviceClass's extended resource name), already rewritten, or no mapped resource.
   *
   * @param classByResource extended resource name to the DeviceClass that maps it
   */
  public static Optional<PreboundPodRewrite> of(Pod pod, Map<String, String> classByResource) {
    if (pod.getSpec() == null
        || pod.getSpec().getNodeName() == null
        || pod.getSpec().getNodeName().isEmpty()
        || classByResource.isEmpty()) {
      return Optional.empty();
    }
    if (pod.getMetadata().getAnnotations() != null
        && pod.getMetadata().getAnnotations().containsKey(ANNOTATION)) {
      return Optional.empty();
    }
    List<Map<String, Object>> ops = new ArrayList<>();
    List<ClaimTemplates.Shape> templates = new ArrayList<>();
    List<Map<String, Object>> podClaims = new ArrayList<>();
    StringBuilder requested = new StringBuilder();
    List<Container> init =
        pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
    List<Container> regular =
        pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers();
    int index = 0;
    for (int kind = 0; kind < 2; kind++) {
      List<Container> containers = kind == 0 ? init : regular;
      String field = kind == 0 ? "initContainers" : "containers";
      for (int j = 0; j < containers.size(); j++, index++) {
        Container container = containers.get(j);
        String path = "/spec/" + field + "/" + j + "/resources";
        Map<String, Long> asked = mapped(container, classByResource);
        if (asked.isEmpty()) {
          continue;
        }
        List<Map<String, Object>> containerClaims = new ArrayList<>();
        int perContainer = 0;
        for (Map.Entry<String, Long> e : asked.entrySet()) {
          String resource = e.getKey();
          String escaped = resource.replace("~", "~0").replace("/", "~1");
          if (has(container, true, resource)) {
            ops.add(op("remove", path + "/limits/" + escaped, null));
          }
          if (has(container, false, resource)) {
            ops.add(op("remove", path + "/requests/" + escaped, null));
          }
          ClaimTemplates.Shape shape =
              new ClaimTemplates.Shape(classByResource.get(resource), e.getValue());
          if (!templates.contains(shape)) {
            templates.add(shape);
          }
          String claimName =
              POD_CLAIM_PREFIX + index + (perContainer == 0 ? "" : "-" + perContainer);
          perContainer++;
          Map<String, Object> podClaim = new LinkedHashMap<>();
          podClaim.put("name", claimName);
          podClaim.put("resourceClaimTemplateName", ClaimTemplates.name(shape));
          podClaims.add(podClaim);
          containerClaims.add(Map.of("name", claimName));
          if (!requested.isEmpty()) {
            requested.append(',');
          }
          requested
              .append(container.getName())
              .append('=')
              .append(resource)
              .append(':')
              .append(e.getValue());
        }
        boolean hasClaims =
            container.getResources() != null
                && container.getResources().getClaims() != null
                && !container.getResources().getClaims().isEmpty();
        if (container.getResources() == null) {
          ops.add(op("add", path, Map.of("claims", containerClaims)));
        } else if (!hasClaims) {
          ops.add(op("add", path + "/claims", containerClaims));
        } else {
          for (Map<String, Object> c : containerClaims) {
            ops.add(op("add", path + "/claims/-", c));
          }
        }
      }
    }
    if (podClaims.isEmpty()) {
      return Optional.empty();
    }
    if (pod.getSpec().getResourceClaims() == null || pod.getSpec().getResourceClaims().isEmpty()) {
      ops.add(op("add", "/spec/resourceClaims", podClaims));
    } else {
      for (Map<String, Object> c : podClaims) {
        ops.add(op("add", "/spec/resourceClaims/-", c));
      }
    }
    String annotation = ANNOTATION.replace("~", "~0").replace("/", "~1");
    if (pod.getMetadata().getAnnotations() == null
        || pod.getMetadata().getAnnotations().isEmpty()) {
      ops.add(op("add", "/metadata/annotations", Map.of(ANNOTATION, requested.toString())));
    } else {
      ops.add(op("add", "/metadata/annotations/" + annotation, requested.toString()));
    }
    return Optional.of(new PreboundPodRewrite(ops, templates, requested.toString()));
  }

  /** The mapped extended resources a container asks for, by name, with their whole counts. */
  private static Map<String, Long> mapped(Container container, Map<String, String> classes) {
    Map<String, Long> asked = new TreeMap<>();
    if (container.getResources() == null) {
      return asked;
    }
    for (boolean limits : new boolean[] {true, false}) {
      Map<String, Quantity> values =
          limits ? container.getResources().getLimits() : container.getResources().getRequests();
      if (values == null) {
        continue;
      }
      values.forEach(
          (name, quantity) -> {
            if (classes.containsKey(name)) {
              long count = count(quantity);
              if (count > 0) {
                asked.merge(name, count, Math::max);
              }
            }
          });
    }
    return asked;
  }

  private static boolean has(Container container, boolean limits, String resource) {
    Map<String, Quantity> values =
        limits ? container.getResources().getLimits() : container.getResources().getRequests();
    return values != null && values.containsKey(resource);
  }

  /** A whole, positive count; 0 for anything else (the API server refuses fractional ones). */
  private static long count(Quantity quantity) {
    try {
      BigDecimal value = quantity.getNumericalAmount();
      return value.signum() > 0 && value.stripTrailingZeros().scale() <= 0
          ? value.longValueExact()
          : 0;
    } catch (ArithmeticException | IllegalArgumentException e) {
      return 0;
    }
  }

  private static Map<String, Object> op(String op, String path, Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", op);
    m.put("path", path);
    if (value != null) {
      m.put("value", value);
    }
    return m;
  }
}
