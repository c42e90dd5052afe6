package dev.gpudra.e2e.cluster;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler as child processes of the test JVM, with random free ports, a throwaway PKI and
 * token authentication. There is no kubelet: tests create Node objects themselves.
 *
 * <p>etcd keeps its data on tmpfs without fsync, which is safe because the data lives exactly as
 * long as this object. Component logs stay in the work directory after {@link #close}.
 */
public final class ControlPlane implements AutoCloseable {

  /**
   * Generous on purpose: on a busy 2-core machine the API server alone needs 10-30 s to become
   * ready, and a slow start is not what these tests are about.
   */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  /** System property: where a run's work directories go (the e2e POM sets it). */
  public static final String WORK_PROPERTY = "gpudra.e2e.work";

  private final E2eBinaries binaries;
  private final Path workDir;
  private final Path etcdDataDir;
  private final Path kubeconfig;
  private final List<ComponentProcess> components;
  private final KubernetesClient client;
  private final String binaryVersion;
  private final Duration startup;

  /**
   * Stops the components if the JVM ends without {@link #close} (a run interrupted with Ctrl-C), so
   * that no control plane outlives its test run.
   */
  private final Thread shutdownHook;

  private ControlPlane(
      E2eBinaries binaries,
      Path workDir,
      Path etcdDataDir,
      Path kubeconfig,
      List<ComponentProcess> components,
      KubernetesClient client,
      String binaryVersion,
      Duration startup) {
    this.binaries = binaries;
    this.workDir = workDir;
    this.etcdDataDir = etcdDataDir;
    this.kubeconfig = kubeconfig;
    this.components = components;
    this.client = client;
    this.binaryVersion = binaryVersion;
    this.startup = startup;
    this.shutdownHook = new Thread(() -> stopAll(components, etcdDataDir), "gpudra-e2e-teardown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a control plane in a new directory {@code control-plane-<UTC time>} under the run's work
   * directory (system property {@value #WORK_PROPERTY}, default {@code target/e2e-work}).
   */
  public static ControlPlane startInWorkDir() {
    String stamp =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return start(E2eBinaries.locate(), workBase().resolve("control-plane-" + stamp));
  }

  /** Where a run's work directories go: {@value #WORK_PROPERTY}, else {@code target/e2e-work}. */
  public static Path workBase() {
    return Path.of(System.getProperty(WORK_PROPERTY, "target/e2e-work"));
  }

  /**
   * Starts a control plane whose files (PKI, kubeconfig, logs) go to {@code workDir}. On any
   * failure the components already started are stopped before the exception propagates.
   */
  public static ControlPlane start(E2eBinaries binaries, Path workDir) {
    long begin = System.nanoTime();
    List<ComponentProcess> started = new ArrayList<>();
    Path etcdData = null;
    try {
      Files.createDirectories(workDir);
      String version =
          Command.check(Duration.ofSeconds(30), binaries.kubeApiserver().toString(), "--version")
              .stdout()
              .strip();
      log("binaries: " + version + ", etcd " + binaries.etcdVersion());
      Pki pki = Pki.create(workDir.resolve("pki"));
      List<Integer> ports = FreePorts.take(5);
      int etcdClient = ports.get(0);
      int etcdPeer = ports.get(1);
      int apiserverPort = ports.get(2);
      int controllerManagerPort = ports.get(3);
      int schedulerPort = ports.get(4);
      Path logs = workDir.resolve("logs");
      HealthProbe probe = new HealthProbe(pki.caCert(), pki.adminToken());

      // tmpfs: etcd's fsyncs dominate API latency on a disk, and the data is disposable.
      Path shm = Path.of("/dev/shm");
      etcdData =
          Files.createTempDirectory(Files.isDirectory(shm) ? shm : workDir, "gpudra-e2e-etcd-");
      String etcdUrl = "http://127.0.0.1:" + etcdClient;
      String peerUrl = "http://127.0.0.1:" + etcdPeer;
      ComponentProcess etcd =
          ComponentProcess.start(
              "etcd",
              List.of(
                  binaries.etcd().toString(),
                  "--name=e2e",
                  "--data-dir=" + etcdData,
                  "--unsafe-no-fsync",
                  "--listen-client-urls=" + etcdUrl,
                  "--advertise-client-urls=" + etcdUrl,
                  "--listen-peer-urls=" + peerUrl,
                  "--initial-advertise-peer-urls=" + peerUrl,
                  "--initial-cluster=e2e=" + peerUrl),
              logs.resolve("etcd.log"));
      started.add(etcd);
      report("etcd", probe.await(URI.create(etcdUrl + "/readyz"), false, START_TIMEOUT, started));

      String apiserverUrl = "https://127.0.0.1:" + apiserverPort;
      ComponentProcess apiserver =
          ComponentProcess.start(
              "kube-apiserver",
              List.of(
                  binaries.kubeApiserver().toString(),
                  "--etcd-servers=" + etcdUrl,
                  "--bind-address=127.0.0.1",
                  // Hosts without a default route cannot pick an address on their own.
                  "--advertise-address=127.0.0.1",
                  "--secure-port=" + apiserverPort,
                  "--tls-cert-file=" + pki.servingCert(),
                  "--tls-private-key-file=" + pki.servingKey(),
                  "--client-ca-file=" + pki.caCert(),
                  "--token-auth-file=" + pki.tokenFile(),
                  "--authorization-mode=Node,RBAC",
                  "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                  "--service-account-key-file=" + pki.serviceAccountPub(),
                  "--service-account-signing-key-file=" + pki.serviceAccountKey(),
                  "--service-cluster-ip-range=10.0.0.0/24",
                  // Loopback must not end up in the kubernetes Service's endpoints.
                  "--endpoint-reconciler-type=none",
                  "--allow-privileged=true",
                  // Real nodes' hostnames do not resolve; their InternalIP is on this host.
                  "--kubelet-preferred-address-types=InternalIP,Hostname",
                  // No kube-proxy: a webhook's Service IP leads nowhere, so the API server calls
                  // the Service's ready endpoint (the pod IP, on a real node's bridge) instead.
                  "--enable-aggregator-routing=true",
                  "--cert-dir=" + workDir.resolve("apiserver-certs"),
                  "--v=2"),
              logs.resolve("kube-apiserver.log"));
      started.add(apiserver);
      report(
          "kube-apiserver",
          probe.await(URI.create(apiserverUrl + "/readyz"), true, START_TIMEOUT, started));

      Path kubeconfig = workDir.resolve("admin.kubeconfig");
      Kubeconfig.write(kubeconfig, apiserverUrl, pki.caCert(), pki.adminToken());
      List<String> delegated =
          List.of(
              "--kubeconfig=" + kubeconfig,
              "--authentication-kubeconfig=" + kubeconfig,
              "--authorization-kubeconfig=" + kubeconfig,
              "--bind-address=127.0.0.1",
              "--tls-cert-file=" + pki.servingCert(),
              "--tls-private-key-file=" + pki.servingKey(),
              "--leader-elect=false",
              "--v=2");

      List<String> controllerManager = new ArrayList<>();
      controllerManager.add(binaries.kubeControllerManager().toString());
      controllerManager.addAll(delegated);
      controllerManager.addAll(
          List.of(
              "--secure-port=" + controllerManagerPort,
              // No kubelet sends heartbeats, so node lifecycle would taint every node unreachable.
              "--controllers=*,-node-lifecycle-controller",
              "--service-account-private-key-file=" + pki.serviceAccountKey(),
              "--root-ca-file=" + pki.caCert()));
      ComponentProcess kcm =
          ComponentProcess.start(
              "kube-controller-manager",
              controllerManager,
              logs.resolve("kube-controller-manager.log"));
      started.add(kcm);

      List<String> scheduler = new ArrayList<>();
      scheduler.add(binaries.kubeScheduler().toString());
      scheduler.addAll(delegated);
      scheduler.add("--secure-port=" + schedulerPort);
      // A pod found unschedulable is retried on cluster events or, failing those, after this long
      // (default 5 min). kube-scheduler 1.37 sometimes turns away one of several shares of one
      // fractional GPU bound in the same second ("cannot allocate all claims" while the others'
      // allocations are in flight), and the allocations that follow do not requeue it; 30 s keeps
      // such a pod's wait inside the scenarios' timeouts.
      scheduler.add("--pod-max-in-unschedulable-pods-duration=30s");
      ComponentProcess sched =
          ComponentProcess.start("kube-scheduler", scheduler, logs.resolve("kube-scheduler.log"));
      started.add(sched);
      report(
          "kube-controller-manager",
          probe.await(
              URI.create("https://127.0.0.1:" + controllerManagerPort + "/healthz"),
              false,
              START_TIMEOUT,
              started));
      report(
          "kube-scheduler",
          probe.await(
              URI.create("https://127.0.0.1:" + schedulerPort + "/healthz"),
              false,
              START_TIMEOUT,
              started));

      KubernetesClient client =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
              .build();
      Duration startup = Duration.ofNanos(System.nanoTime() - begin);
      log(
          "control plane ready in "
              + startup.toMillis()
              + " ms; server reports "
              + client.getKubernetesVersion().getGitVersion()
              + "; kubeconfig "
              + kubeconfig);
      return new ControlPlane(
          binaries, workDir, etcdData, kubeconfig, List.copyOf(started), client, version, startup);
    } catch (IOException e) {
      stopAll(started, etcdData);
      throw new UncheckedIOException("cannot start the control plane in " + workDir, e);
    } catch (RuntimeException e) {
      for (ComponentProcess component : started) {
        log("start-up failed; last lines of " + component + ":\n" + component.tail(20));
      }
      stopAll(started, etcdData);
      throw e;
    }
  }

  /** A client with cluster-admin rights; shared, closed with the control plane. */
  public KubernetesClient client() {
    return client;
  }

  /** The admin kubeconfig (token auth, CA inline). */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** What {@code kube-apiserver --version} printed, e.g. {@code Kubernetes v1.37.2}. */
  public String binaryVersion() {
    return binaryVersion;
  }

  /** The binaries it runs (Helm included, for chart tests). */
  public E2eBinaries binaries() {
    return binaries;
  }

  /** PKI, kubeconfig and component logs. */
  public Path workDir() {
    return workDir;
  }

  /** From the first process start to every component being healthy. */
  public Duration startup() {
    return startup;
  }

  /** etcd's data directory (on tmpfs where there is one); gone after {@link #close}. */
  Path etcdDataDir() {
    return etcdDataDir;
  }

  /** The running components, in start order. */
  public List<ComponentProcess> components() {
    return components;
  }

  /** Stops the components in reverse start order and deletes etcd's data. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down and the hook is running or will run; stopping twice is
      // harmless since each step is idempotent.
    }
    client.close();
    stopAll(components, etcdDataDir);
    log("control plane stopped; logs in " + workDir.resolve("logs"));
  }

  private static void stopAll(List<ComponentProcess> started, Path etcdData) {
    for (ComponentProcess process : started.reversed()) {
      process.close();
    }
    if (etcdData != null) {
      deleteTree(etcdData);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      log("could not delete " + root + ": " + e.getMessage());
    }
  }

  private static void report(String component, Duration took) {
    log(component + " ready after " + took.toMillis() + " ms");
  }

  /** Prints a harness line, marked {@code [e2e]} as every line of the harness is. */
  public static void log(String message) {
    System.out.println("[e2e] " + message);
  }
}
