package dev.gpudra.controller.webhook;

import dev.gpudra.core.config.InvalidConfigException;
import dev.gpudra.core.config.OpaqueConfigDecoder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The validating webhook for ResourceClaims and ResourceClaimTemplates: every opaque configuration
 * for our driver must decode with {@link OpaqueConfigDecoder}, the same strict decoder the kubelet
 * plugin applies at prepare. A malformed one is refused at {@code kubectl apply} time with the path
 * of the offending field, instead of surfacing minutes later as a pod stuck in {@code
 * ContainerCreating}.
 *
 * <p>The plugin keeps validating at prepare: this webhook can be off, scoped away, or bypassed with
 * {@code failurePolicy: Ignore}. Pure apart from parsing; thread-safe.
 */
public final class ClaimConfigWebhook implements AdmissionHandler {

  private final String driver;

  public ClaimConfigWebhook(String driver) {
    this.driver = Objects.requireNonNull(driver, "driver");
  }

  @Override
  public AdmissionResponse review(AdmissionRequest request) {
    if (request.getObject() == null) {
      return new AdmissionResponseBuilder().withAllowed(true).build();
    }
    String kind = request.getKind() == null ? "" : request.getKind().getKind();
    @SuppressWarnings("unchecked")
    Map<String, Object> object =
        Serialization.unmarshal(Serialization.asJson(request.getObject()), Map.class);
    String specPath = "ResourceClaimTemplate".equals(kind) ? "spec.spec" : "spec";
    Map<String, Object> spec = object;
    for (String part : specPath.split("\\.")) {
      spec = child(spec, part).orElse(Map.of());
    }
    List<String> problems = problems(spec, specPath);
    if (problems.isEmpty()) {
      return new AdmissionResponseBuilder().withAllowed(true).build();
    }
    return new AdmissionResponseBuilder()
        .withAllowed(false)
        .withStatus(
            new StatusBuilder()
                .withCode(422)
                .withReason("Invalid")
                .withMessage(String.join("; ", problems))
                .build())
        .build();
  }

  /** Each malformed configuration for our driver in a claim spec, as {@code <path>: <what>}. */
  List<String> problems(Map<String, Object> spec, String specPath) {
    List<String> problems = new ArrayList<>();
    Object configs = child(spec, "devices").map(d -> d.get("config")).orElse(null);
    if (!(configs instanceof List<?> list)) {
      return problems;
    }
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> entry)
          || !(entry.get("opaque") instanceof Map<?, ?> opaque)
          || !driver.equals(opaque.get("driver"))) {
        continue;
      }
      String path = specPath + ".devices.config[" + i + "].opaque.parameters";
      try {
        OpaqueConfigDecoder.decode(Serialization.asJson(opaque.get("parameters")));
      } catch (InvalidConfigException e) {
        String where = e.field().isEmpty() ? path : path + "." + e.field();
        String message = e.getMessage();
        String prefix = "field " + e.field() + ": ";
        problems.add(
            where
                + ": "
                + (message.startsWith(prefix) ? message.substring(prefix.length()) : message));
      }
    }
    return problems;
  }

  @SuppressWarnings("unchecked")
  private static Optional<Map<String, Object>> child(Map<String, Object> map, String key) {
    return map.get(key) instanceof Map<?, ?> m
        ? Optional.of((Map<String, Object>) m)
        : Optional.empty();
  }
}
