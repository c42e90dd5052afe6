package dev.gpudra.controller.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GroupVersionKind;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequestBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClaimConfigWebhookTest {

  private final ClaimConfigWebhook webhook = new ClaimConfigWebhook("gpu.gpudra.dev");

  private static String claim(String driver, String parameters) {
    return """
        {"apiVersion":"resource.k8s.io/v1","kind":"ResourceClaim",
         "metadata":{"name":"c","namespace":"ml"},
         "spec":{"devices":{
           "requests":[{"name":"gpu","exactly":{"deviceClassName":"gpu.gpudra.dev"}}],
           "config":[{"requests":["gpu"],"opaque":{"driver":"%s","parameters":%s}}]}}}"""
        .formatted(driver, parameters);
  }

  private AdmissionResponse review(String kind, String object) {
    AdmissionRequest request =
        new AdmissionRequestBuilder()
            .withUid("u")
            .withOperation("CREATE")
            .withKind(new GroupVersionKind("resource.k8s.io", kind, "v1"))
            .withObject(Serialization.unmarshal(object, GenericKubernetesResource.class))
            .build();
    return webhook.review(request);
  }

  @Test
  void allowsAWellFormedMpsConfig() {
    AdmissionResponse response =
        review(
            "ResourceClaim",
            claim(
                "gpu.gpudra.dev",
                """
                {"apiVersion":"gpu.gpudra.dev/v1","kind":"GpuConfig",
                 "sharing":{"strategy":"MPS","mpsConfig":{"defaultActiveThreadPercentage":50}}}"""));

    assertThat(response.getAllowed()).isTrue();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":{\"strategy\":\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":150}}}"
            + "|spec.devices.config[0].opaque.parameters.sharing.mpsConfig.defaultActiveThreadPercentage",
        "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":{\"strategy\":\"Sometimes\"}}"
            + "|spec.devices.config[0].opaque.parameters.sharing.strategy",
        "{\"apiVersion\":\"gpu.gpudra.dev/v2\",\"kind\":\"GpuConfig\"}"
            + "|spec.devices.config[0].opaque.parameters.apiVersion",
        "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"extra\":1}"
            + "|spec.devices.config[0].opaque.parameters",
      })
  void refusesAMalformedConfigNamingTheFieldPath(String parameters, String path) {
    AdmissionResponse response = review("ResourceClaim", claim("gpu.gpudra.dev", parameters));

    assertThat(response.getAllowed()).isFalse();
    assertThat(response.getStatus().getCode()).isEqualTo(422);
    assertThat(response.getStatus().getMessage()).startsWith(path);
  }

  @Test
  void namesThePathInsideATemplate() {
    String template =
        """
        {"apiVersion":"resource.k8s.io/v1","kind":"ResourceClaimTemplate",
         "metadata":{"name":"t","namespace":"ml"},
         "spec":{"spec":{"devices":{
           "requests":[{"name":"gpu","exactly":{"deviceClassName":"gpu.gpudra.dev"}}],
           "config":[{"opaque":{"driver":"gpu.gpudra.dev","parameters":
             {"apiVersion":"gpu.gpudra.dev/v1","kind":"GpuConfig",
              "sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Forever"}}}}}]}}}}""";

    AdmissionResponse response = review("ResourceClaimTemplate", template);

    assertThat(response.getAllowed()).isFalse();
    assertThat(response.getStatus().getMessage())
        .startsWith(
            "spec.spec.devices.config[0].opaque.parameters.sharing.timeSlicingConfig.interval");
  }

  @Test
  void leavesOtherDriversConfigAlone() {
    assertThat(review("ResourceClaim", claim("gpu.nvidia.com", "{\"anything\":true}")).getAllowed())
        .isTrue();
  }
}
