package dev.gpudra.controller.webhook;

import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;

/**
 * Decides one admission request. The server fills in the response's {@code uid}; a handler that
 * throws is answered with HTTP 500, so the API server applies the webhook's failure policy instead
 * of a decision the handler never made.
 */
@FunctionalInterface
public interface AdmissionHandler {

  /** The decision for {@code request}. */
  AdmissionResponse review(AdmissionRequest request);
}
