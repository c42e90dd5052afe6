package dev.gpudra.e2e.cluster;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a reader needs after a failed e2e test: events, pods and their scheduling conditions, claims
 * and their allocations, the slices per node, and the end of every component's log. Each part is
 * guarded, so a broken API server still yields the logs.
 */
public final class ClusterDiagnostics {

  private static final int LOG_LINES = 30;

  private ClusterDiagnostics() {}

  /** Prints every part to {@code out}; never throws for an unreachable API server. */
  public static void dump(ControlPlane plane, PrintStream out) {
    out.println("===== e2e diagnostics (full logs: " + plane.workDir().resolve("logs") + ") =====");
    KubernetesClient client = plane.client();
    section(out, "events", () -> events(client, out));
    section(out, "pods", () -> pods(client, out));
    section(out, "resource claims", () -> claims(client, out));
    section(out, "resource slices", () -> slices(client, out));
    for (ComponentProcess component : plane.components()) {
      out.println(
          "----- "
              + component
              + (component.isAlive() ? "" : " EXITED")
              + ", last "
              + LOG_LINES
              + " log lines -----");
      out.println(component.tail(LOG_LINES));
    }
    out.println("===== end of e2e diagnostics =====");
  }

  private static void events(KubernetesClient client, PrintStream out) {
    client.v1().events().inAnyNamespace().list().getItems().stream()
        .sorted(Comparator.comparing(e -> Objects.toString(e.getLastTimestamp(), "")))
        .forEach(e -> out.println("  " + describe(e)));
  }

  private static String describe(Event e) {
    return String.format(
        "%s %s/%s %s %s: %s",
        e.getType(),
        e.getInvolvedObject().getKind(),
        e.getInvolvedObject().getName(),
        e.getReason(),
        Objects.toString(e.getSource() == null ? null : e.getSource().getComponent(), ""),
        e.getMessage());
  }

  private static void pods(KubernetesClient client, PrintStream out) {
    for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
      out.printf(
          "  %s/%s node=%s phase=%s%n",
          pod.getMetadata().getNamespace(),
          pod.getMetadata().getName(),
          pod.getSpec().getNodeName(),
          pod.getStatus() == null ? null : pod.getStatus().getPhase());
      if (pod.getStatus() != null) {
        for (PodCondition c : pod.getStatus().getConditions()) {
          out.printf(
              "    %s=%s %s %s%n", c.getType(), c.getStatus(), c.getReason(), c.getMessage());
        }
      }
    }
  }

  private static void claims(KubernetesClient client, PrintStream out) {
    for (ResourceClaim claim :
        client
            .dynamicResourceAllocation()
            .v1()
            .resourceClaims()
            .inAnyNamespace()
            .list()
            .getItems()) {
      var status = claim.getStatus();
      String allocation =
          status == null || status.getAllocation() == null
              ? "unallocated"
              : status.getAllocation().getDevices().getResults().stream()
                  .map(r -> r.getRequest() + "->" + r.getPool() + "/" + r.getDevice())
                  .collect(Collectors.joining(", "));
      out.printf(
          "  %s/%s %s reservedFor=%s%n",
          claim.getMetadata().getNamespace(),
          claim.getMetadata().getName(),
          allocation,
          status == null ? "[]" : status.getReservedFor().size());
    }
  }

  private static void slices(KubernetesClient client, PrintStream out) {
    client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
        .collect(
            Collectors.groupingBy(
                s -> Objects.toString(s.getSpec().getNodeName(), "(no node)"),
                Collectors.summingInt(ClusterDiagnostics::deviceCount)))
        .forEach((node, devices) -> out.printf("  node %s: %d devices%n", node, devices));
  }

  private static int deviceCount(ResourceSlice slice) {
    return slice.getSpec().getDevices() == null ? 0 : slice.getSpec().getDevices().size();
  }

  private static void section(PrintStream out, String title, Runnable body) {
    out.println("----- " + title + " -----");
    try {
      body.run();
    } catch (RuntimeException e) {
      out.println("  (cannot list " + title + ": " + e + ")");
    }
  }
}
