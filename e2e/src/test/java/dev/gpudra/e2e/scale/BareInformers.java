package dev.gpudra.e2e.scale;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The baseline of the scale benchmark, run as a JVM of its own: plain fabric8 informers over the
 * kinds the driver controller watches (ResourceSlices, ResourceClaims, Pods, Nodes, DeviceClasses;
 * all namespaces), started the way the controller starts them, and nothing else. It prints one
 * line, {@code synced <counts>}, once every informer has listed, then keeps watching until killed.
 * KUBECONFIG names the cluster.
 */
public final class BareInformers {

  /** The line printed when synced starts with this. */
  public static final String SYNCED = "synced";

  private BareInformers() {}

  public static void main(String[] args) throws Exception {
    KubernetesClient client = new KubernetesClientBuilder().build();
    var dra = client.dynamicResourceAllocation().v1();
    List<SharedIndexInformer<?>> informers =
        List.of(
            dra.resourcesSlices().runnableInformer(0),
            dra.resourceClaims().inAnyNamespace().runnableInformer(0),
            client.pods().inAnyNamespace().runnableInformer(0),
            client.nodes().runnableInformer(0),
            dra.deviceClasses().runnableInformer(0));
    CompletableFuture.allOf(
            informers.stream()
                .map(i -> i.start().toCompletableFuture())
                .toArray(CompletableFuture[]::new))
        .get();
    System.out.println(
        SYNCED
            + " slices="
            + informers.get(0).getStore().list().size()
            + " claims="
            + informers.get(1).getStore().list().size()
            + " pods="
            + informers.get(2).getStore().list().size()
            + " nodes="
            + informers.get(3).getStore().list().size()
            + " deviceClasses="
            + informers.get(4).getStore().list().size());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
