package dev.gpudra.e2e.monitoring;

import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The driver controller ({@code dev.gpudra.controller.Main}) in a child JVM, run on the test class
 * path against the e2e control plane with the admin kubeconfig, its metrics on a free loopback
 * port. Configured only through environment variables, as the chart configures it.
 */
public final class DriverControllerProcess implements AutoCloseable {

  private final ComponentProcess process;
  private final int metricsPort;

  private DriverControllerProcess(ComponentProcess process, int metricsPort) {
    this.process = process;
    this.metricsPort = metricsPort;
  }

  /**
   * Starts the controller with its Lease in {@code namespace} and waits until {@code /healthz}
   * answers 200, which it does once its informers have synced.
   */
  public static DriverControllerProcess start(ControlPlane plane, String namespace) {
    return start(plane, namespace, List.of("-Xmx256m"), Map.of());
  }

  /**
   * As {@link #start(ControlPlane, String)}, with the given JVM options (heap size, GC logging) and
   * extra environment, which overrides the defaults set here (such as the 1 s metrics refresh).
   */
  public static DriverControllerProcess start(
      ControlPlane plane, String namespace, List<String> jvmOptions, Map<String, String> env) {
    return start(
        plane,
        namespace,
        Path.of(System.getProperty("java.home")),
        // Failsafe names the test class path here; java.class.path may be a manifest-only jar.
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        jvmOptions,
        env);
  }

  /**
   * As {@link #start(ControlPlane, String, List, Map)}, on the Java runtime {@code javaHome} with
   * {@code classPath} (the image's runtime and jars) in place of this JVM's.
   */
  public static DriverControllerProcess start(
      ControlPlane plane,
      String namespace,
      Path javaHome,
      String classPath,
      List<String> jvmOptions,
      Map<String, String> env) {
    int port = FreePorts.take(1).getFirst();
    List<String> command = new ArrayList<>();
    command.add(javaHome.resolve("bin/java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classPath);
    command.add("dev.gpudra.controller.Main");
    Map<String, String> environment = new HashMap<>();
    environment.put("KUBECONFIG", plane.kubeconfig().toString());
    environment.put("GPUDRA_METRICS_PORT", Integer.toString(port));
    environment.put("GPUDRA_METRICS_REFRESH_INTERVAL", "PT1S");
    environment.put("POD_NAMESPACE", namespace);
    environment.put("POD_NAME", "gpudra-controller-e2e");
    environment.putAll(env);
    ComponentProcess process =
        ComponentProcess.start(
            "gpudra-controller",
            command,
            plane.workDir().resolve("gpudra-controller.log"),
            environment);
    DriverControllerProcess controller = new DriverControllerProcess(process, port);
    try {
      controller.awaitHealthy();
    } catch (RuntimeException e) {
      controller.close();
      throw e;
    }
    return controller;
  }

  /** The controller JVM's process id (for {@code jcmd} and {@code /proc}). */
  public long pid() {
    return process.pid();
  }

  /** Its {@code /metrics} page. */
  public URI metricsUri() {
    return URI.create("http://" + metricsTarget() + "/metrics");
  }

  /** {@code host:port} of its {@code /metrics}, as a Prometheus scrape target. */
  public String metricsTarget() {
    return "127.0.0.1:" + metricsPort;
  }

  /** The end of its log, for failure messages. */
  public String logTail() {
    return process.tail(40);
  }

  private void awaitHealthy() {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest healthz =
        HttpRequest.newBuilder(URI.create("http://" + metricsTarget() + "/healthz"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      process.requireAlive();
      try {
        Thread.sleep(250);
        if (http.send(healthz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet: the JVM is still starting.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    throw new IllegalStateException("controller not healthy after 2 minutes:\n" + logTail());
  }

  @Override
  public void close() {
    process.close();
  }
}
