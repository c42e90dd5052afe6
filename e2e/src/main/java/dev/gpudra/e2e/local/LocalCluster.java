package dev.gpudra.e2e.local;

import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.E2eBinaries;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.realnode.DriverRelease;
import dev.gpudra.e2e.realnode.PrintingWorkload;
import dev.gpudra.e2e.realnode.ProcessMemory;
import dev.gpudra.e2e.realnode.RealNodes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The local cluster of {@code scripts/local-cluster.sh}: the e2e control plane (etcd,
 * kube-apiserver, kube-scheduler, kube-controller-manager built from Go modules), two real fake-GPU
 * nodes ({@value #A100_NODE} with the mock 8x A100 80GB, {@value #H100_NODE} with the mock 8x H100;
 * containerd, runc and a kubelet each, see {@link RealNodes}), our chart installed with Helm from
 * the driver's image ({@link DriverRelease}), and one example of {@code examples/} applied to the
 * {@code default} namespace, its containers printing the devices they see.
 *
 * <p>Once every pod of the example runs (or the scheduler has said why it cannot), it writes a
 * report of the devices each pod received and what its container printed to {@code
 * <state>/report.txt}, the start-up times and the memory of every process, then a {@code ready}
 * file, and keeps running until {@code <state>/stop} appears or it is terminated; then it stops
 * everything it started and removes the nodes' files.
 *
 * <p>Arguments: the state directory, the example's name (default {@value #DEFAULT_EXAMPLE}).
 */
public final class LocalCluster {

  static final String A100_NODE = "gpu-a100-8x";
  static final String H100_NODE = "gpu-h100-8x";
  static final String DEFAULT_EXAMPLE = "one-gpu";
  private static final String NAMESPACE = "default";
  private static final Duration POD_TIMEOUT = Duration.ofMinutes(3);

  /** The order of creation: namespaces, then what pods refer to, then pods. */
  private static final List<String> KIND_ORDER =
      List.of("Namespace", "ResourceClaimTemplate", "ResourceClaim", "Pod");

  private final Path state;
  private final List<AutoCloseable> started = new ArrayList<>();
  private ControlPlane plane;
  private RealNodes nodes;

  private LocalCluster(Path state) {
    this.state = state;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: LocalCluster STATE_DIR [EXAMPLE]");
      System.exit(2);
    }
    Path state = Path.of(args[0]).toAbsolutePath();
    String example = args.length == 2 ? args[1] : DEFAULT_EXAMPLE;
    LocalCluster cluster = new LocalCluster(state);
    Thread stopper = new Thread(cluster::stop, "gpudra-local-cluster-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    try {
      String report = cluster.start(example);
      Files.writeString(state.resolve("report.txt"), report);
      System.out.print(report);
      Files.writeString(state.resolve("ready"), "");
      Path stop = state.resolve("stop");
      while (!Files.exists(stop)) {
        Thread.sleep(500);
      }
    } catch (RuntimeException | IOException e) {
      System.err.println("gpudra local cluster failed: " + e);
      e.printStackTrace();
      Files.writeString(state.resolve("failed"), String.valueOf(e.getMessage()));
    }
    Runtime.getRuntime().removeShutdownHook(stopper);
    cluster.stop();
    System.exit(0);
  }

  private String start(String example) throws IOException {
    Path exampleDir = ExampleManifests.file(example, "");
    if (!Files.isDirectory(exampleDir)) {
      throw new IllegalArgumentException(
          "no example " + example + " in " + exampleDir.getParent() + "; examples: " + examples());
    }
    plane = ControlPlane.start(E2eBinaries.locate(), state.resolve("control-plane"));
    KubernetesClient client = plane.client();
    Path kubeconfig = state.resolve("kubeconfig");
    Files.copy(plane.kubeconfig(), kubeconfig, StandardCopyOption.REPLACE_EXISTING);

    long begin = System.nanoTime();
    RealNodes nodes =
        RealNodes.start(
            plane,
            Map.of(A100_NODE, "a100-8x", H100_NODE, "h100-8x").entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .collect(
                    LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll),
            List.of(DriverRelease.imageTar()));
    started.add(nodes);
    started.add(DriverRelease.install(plane, nodes));
    this.nodes = nodes;

    Namespaces.awaitReady(client, NAMESPACE);
    List<HasMetadata> applied = applyExample(client, exampleDir);
    List<Pod> pods =
        applied.stream()
            .filter(Pod.class::isInstance)
            .map(p -> awaitOutcome(client, namespaceOf(p), p.getMetadata().getName()))
            .toList();
    Duration firstRunning = Duration.ofNanos(System.nanoTime() - begin);
    // For scripts/local-cluster-bench.sh: when the example's pods ran, as the epoch in ms.
    Files.writeString(
        state.resolve("pods-running-at"), Long.toString(System.currentTimeMillis()) + "\n");
    return report(client, example, pods, kubeconfig)
        + String.format(
            "%nstart-up: control plane %.1f s, then nodes, chart and example pods Running %.1f s%n%s",
            plane.startup().toMillis() / 1000.0,
            firstRunning.toMillis() / 1000.0,
            ProcessMemory.table(processes()));
  }

  /** Creates the example's objects in {@link #KIND_ORDER}, each file's objects in file order. */
  private static List<HasMetadata> applyExample(KubernetesClient client, Path dir)
      throws IOException {
    List<HasMetadata> items = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          client.load(in).items().forEach(item -> items.add(PrintingWorkload.adapt(item)));
        }
      }
    }
    List<HasMetadata> created = new ArrayList<>();
    items.stream()
        .sorted(Comparator.comparingInt(LocalCluster::kindRank))
        .forEach(
            item -> {
              if (item instanceof Namespace ns) {
                created.add(client.resource(ns).create());
                Namespaces.awaitReady(client, ns.getMetadata().getName());
              } else {
                created.add(client.resource(item).inNamespace(namespaceOf(item)).create());
              }
            });
    return created;
  }

  private static int kindRank(HasMetadata item) {
    int rank = KIND_ORDER.indexOf(item.getKind());
    return rank < 0 ? KIND_ORDER.size() - 1 : rank;
  }

  private static String namespaceOf(HasMetadata item) {
    return item.getMetadata().getNamespace() == null
        ? NAMESPACE
        : item.getMetadata().getNamespace();
  }

  /** Waits until the pod runs or the scheduler has reported it unschedulable. */
  private static Pod awaitOutcome(KubernetesClient client, String namespace, String name) {
    return Poll.until(
        "pod " + namespace + "/" + name + " Running or unschedulable",
        POD_TIMEOUT,
        Duration.ofMillis(250),
        () -> client.pods().inNamespace(namespace).withName(name).get(),
        pod ->
            pod != null
                && pod.getStatus() != null
                && ("Running".equals(pod.getStatus().getPhase())
                    || unschedulable(pod).isPresent()));
  }

  private static Optional<PodCondition> unschedulable(Pod pod) {
    return pod.getStatus().getConditions() == null
        ? Optional.empty()
        : pod.getStatus().getConditions().stream()
            .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
            .findFirst();
  }

  private String report(KubernetesClient client, String example, List<Pod> pods, Path kubeconfig)
      throws IOException {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "gpudra local cluster: %s, real nodes %s (8x A100 80GB) and %s (8x H100): %s;"
                + " chart installed with Helm, example %s%n%n",
            plane.binaryVersion(), A100_NODE, H100_NODE, nodes.binaries().versions(), example));
    String controllerUrl = controllerUrl(client);
    for (Pod pod : pods) {
      pod = client.pods().resource(pod).get();
      String podName = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
      Optional<PodCondition> unschedulable = unschedulable(pod);
      if (unschedulable.isPresent()) {
        out.append(String.format("pod %s: Pending, not scheduled%n", podName));
        out.append(String.format("  scheduler: %s%n", unschedulable.get().getMessage()));
        for (ResourceClaim claim : PodClaims.of(client, pod)) {
          out.append(String.format("  claim %s, gpudra explain:%n", claim.getMetadata().getName()));
          explain(controllerUrl, claim)
              .lines()
              .forEach(line -> out.append("    ").append(line).append(System.lineSeparator()));
        }
        continue;
      }
      out.append(String.format("pod %s: Running on %s%n", podName, pod.getSpec().getNodeName()));
      for (ResourceClaim claim : PodClaims.of(client, pod)) {
        out.append(String.format("  claim %s%n", claim.getMetadata().getName()));
        for (DeviceRequestAllocationResult r : PodClaims.results(claim)) {
          out.append(
              String.format(
                  "    request %-10s -> %s/%s%s%n",
                  r.getRequest(),
                  r.getPool(),
                  r.getDevice(),
                  Boolean.TRUE.equals(r.getAdminAccess()) ? " (admin access)" : ""));
        }
      }
      String log = awaitPrinted(client, pod);
      out.append("  its container prints:\n");
      log.lines()
          .takeWhile(line -> !line.equals(PrintingWorkload.END))
          .forEach(line -> out.append("    ").append(line).append(System.lineSeparator()));
    }
    out.append(
        String.format(
            "%nkubeconfig:  export KUBECONFIG=%s%n"
                + "try:         kubectl get pods -A -o wide; kubectl get resourceclaims -A -o wide;"
                + " kubectl get resourceslices%n"
                + "             kubectl logs %s; kubectl exec %s -- ls -l /dev%n"
                + "controller:  %s/metrics, scripts/gpudra explain <namespace>/<claim>%n"
                + "logs:        %s%n"
                + "stop:        run the same command again%n",
            kubeconfig,
            pods.isEmpty() ? "<pod>" : pods.getFirst().getMetadata().getName(),
            pods.isEmpty() ? "<pod>" : pods.getFirst().getMetadata().getName(),
            controllerUrl,
            plane.workDir().resolve("logs")));
    return out.toString();
  }

  /** The container's log once it has printed what it sees. */
  private static String awaitPrinted(KubernetesClient client, Pod pod) {
    return Poll.until(
        "output of " + pod.getMetadata().getName(),
        POD_TIMEOUT,
        Duration.ofMillis(250),
        () -> client.pods().resource(pod).getLog(),
        log -> log != null && log.contains(PrintingWorkload.END));
  }

  /**
   * The controller pod's metrics endpoint: its pod IP (the node's bridge routes to it from this
   * host) and the container's {@code metrics} port.
   */
  private static String controllerUrl(KubernetesClient client) {
    return client
        .pods()
        .inNamespace(DriverRelease.NAMESPACE)
        .withLabel("app.kubernetes.io/component", "controller")
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getStatus() != null && p.getStatus().getPodIP() != null)
        .findFirst()
        .map(
            p ->
                "http://"
                    + p.getStatus().getPodIP()
                    + ":"
                    + p.getSpec().getContainers().getFirst().getPorts().stream()
                        .filter(port -> "metrics".equals(port.getName()))
                        .findFirst()
                        .map(port -> port.getContainerPort().toString())
                        .orElse("8080"))
        .orElse("http://(no controller pod)");
  }

  /** The controller's explanation of why {@code claim} is pending ({@code /explain/ns/name}). */
  private static String explain(String controllerUrl, ResourceClaim claim) throws IOException {
    URI uri =
        URI.create(
            controllerUrl
                + "/explain/"
                + claim.getMetadata().getNamespace()
                + "/"
                + claim.getMetadata().getName());
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while asking " + uri, e);
    }
  }

  /** Every process of the cluster with a label: control plane components, kubelets, containerds. */
  private Map<String, Long> processes() {
    Map<String, Long> pids = new LinkedHashMap<>();
    plane.components().forEach(c -> pids.put(c.name(), c.pid()));
    pids.putAll(nodes.pids());
    return pids;
  }

  /** Stops what was started, newest first, then the control plane; safe to call twice. */
  private synchronized void stop() {
    for (AutoCloseable part : started.reversed()) {
      try {
        part.close();
      } catch (Exception e) {
        System.err.println("gpudra local cluster: stopping " + part + ": " + e);
      }
    }
    started.clear();
    if (plane != null) {
      plane.close();
      plane = null;
    }
  }

  private static String examples() {
    try (Stream<Path> dirs = Files.list(ExampleManifests.file("", "").toAbsolutePath())) {
      return String.join(
          ", ",
          dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
