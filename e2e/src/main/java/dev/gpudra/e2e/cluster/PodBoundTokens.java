package dev.gpudra.e2e.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * The credentials a DaemonSet pod really gets, without a kubelet: a service-account token from the
 * TokenRequest API bound to a pod scheduled on a node. The API server puts that node's name into
 * the token ({@code authentication.kubernetes.io/node-name}), which node-scoped checks (admission
 * policies, the associated-node claim-status verbs) rely on; a token not bound to such a pod lacks
 * it.
 */
public final class PodBoundTokens {

  private static final long EXPIRATION_SECONDS = 600L;

  private PodBoundTokens() {}

  /**
   * Creates pod {@code podName} of {@code serviceAccount} in {@code namespace} bound to {@code
   * node} (never started: the image is never pulled) and returns a token bound to it.
   */
  public static String boundToPodOn(
      KubernetesClient admin,
      String namespace,
      String serviceAccount,
      String node,
      String podName) {
    Pod pod =
        admin
            .pods()
            .inNamespace(namespace)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(podName)
                    .endMetadata()
                    .withNewSpec()
                    .withNodeName(node)
                    .withServiceAccountName(serviceAccount)
                    .addNewContainer()
                    .withName("kubelet-plugin")
                    .withImage("registry.invalid/gpudra:never-pulled")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    TokenRequest request =
        new TokenRequestBuilder()
            .withNewSpec()
            .withExpirationSeconds(EXPIRATION_SECONDS)
            .withNewBoundObjectRef()
            .withApiVersion("v1")
            .withKind("Pod")
            .withName(pod.getMetadata().getName())
            .withUid(pod.getMetadata().getUid())
            .endBoundObjectRef()
            .endSpec()
            .build();
    return request(admin, namespace, serviceAccount, request);
  }

  /** A token of {@code serviceAccount} bound to nothing, so without a node name. */
  public static String unbound(KubernetesClient admin, String namespace, String serviceAccount) {
    TokenRequest request =
        new TokenRequestBuilder()
            .withNewSpec()
            .withExpirationSeconds(EXPIRATION_SECONDS)
            .endSpec()
            .build();
    return request(admin, namespace, serviceAccount, request);
  }

  /** A client of the same API server as {@code admin} that authenticates with {@code token}. */
  public static KubernetesClient clientWithToken(KubernetesClient admin, String token) {
    Config adminConfig = admin.getConfiguration();
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(adminConfig.getMasterUrl())
            .withCaCertData(adminConfig.getCaCertData())
            .withOauthToken(token)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static String request(
      KubernetesClient admin, String namespace, String serviceAccount, TokenRequest request) {
    return admin
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(serviceAccount)
        .tokenRequest(request)
        .getStatus()
        .getToken();
  }
}
