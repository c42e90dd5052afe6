package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.DriverClasses;
import dev.gpudra.controller.webhook.AdmissionHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating webhook for pod CREATE: applies {@link PreboundPodRewrite} to pre-bound pods and
 * makes sure the templates the rewritten pod refers to exist. Every other pod is allowed unchanged.
 *
 * <p>Which extended resources are ours is read from the DeviceClasses at each review: a class that
 * selects this driver's devices and sets {@code extendedResourceName}. Without such a class the
 * webhook changes nothing, so turning the mapping off in the chart turns the rewrite off too.
 * Thread-safe.
 */
public final class PreboundPodWebhook implements AdmissionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(PreboundPodWebhook.class);

  private final Supplier<List<DeviceClass>> classes;
  private final String driver;
  private final ClaimTemplates templates;

  public PreboundPodWebhook(
      Supplier<List<DeviceClass>> classes, String driver, ClaimTemplates templates) {
    this.classes = Objects.requireNonNull(classes, "classes");
    this.driver = Objects.requireNonNull(driver, "driver");
    this.templates = Objects.requireNonNull(templates, "templates");
  }

  /** Extended resource name to the DeviceClass of ours that maps it. */
  static Map<String, String> mapping(List<DeviceClass> classes, String driver) {
    Set<String> ours = DriverClasses.selecting(classes, driver);
    Map<String, String> byResource = new HashMap<>();
    for (DeviceClass c : classes) {
      String resource = c.getSpec() == null ? null : c.getSpec().getExtendedResourceName();
      if (resource != null && !resource.isEmpty() && ours.contains(c.getMetadata().getName())) {
        // Kubernetes' rule when two classes claim one name: the later one wins.
        byResource.merge(
            resource,
            c.getMetadata().getName(),
            (a, b) -> created(classes, a).compareTo(created(classes, b)) >= 0 ? a : b);
      }
    }
    return byResource;
  }

  private static String created(List<DeviceClass> classes, String name) {
    return classes.stream()
        .filter(c -> name.equals(c.getMetadata().getName()))
        .map(c -> Objects.requireNonNullElse(c.getMetadata().getCreationTimestamp(), ""))
        .findFirst()
        .orElse("");
  }

  @Override
  public AdmissionResponse review(AdmissionRequest request) {
    AdmissionResponseBuilder allowed = new AdmissionResponseBuilder().withAllowed(true);
    if (!"CREATE".equals(request.getOperation()) || request.getObject() == null) {
      return allowed.build();
    }
    Pod pod = Serialization.unmarshal(Serialization.asJson(request.getObject()), Pod.class);
    var rewrite = PreboundPodRewrite.of(pod, mapping(classes.get(), driver));
    if (rewrite.isEmpty()) {
      return allowed.build();
    }
    String namespace =
        pod.getMetadata().getNamespace() != null
            ? pod.getMetadata().getNamespace()
            : request.getNamespace();
    if (!Boolean.TRUE.equals(request.getDryRun())) {
      rewrite.get().templates().forEach(shape -> templates.ensure(namespace, shape));
    }
    LOG.info(
        "Rewrote pre-bound pod {}/{} on node {}: {} now come from claims",
        namespace,
        pod.getMetadata().getName(),
        pod.getSpec().getNodeName(),
        rewrite.get().requested());
    return allowed
        .withPatchType("JSONPatch")
        .withPatch(
            Base64.getEncoder()
                .encodeToString(
                    Serialization.asJson(rewrite.get().patch()).getBytes(StandardCharsets.UTF_8)))
        .build();
  }
}
