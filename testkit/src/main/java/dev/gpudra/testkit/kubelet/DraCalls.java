package dev.gpudra.testkit.kubelet;

import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's DRA calls, as its DRA manager makes them: one call per pod carrying all of the
 * pod's claims for this driver, a 45 s deadline, and the answer keyed by claim UID. Speaks {@code
 * v1.DRAPlugin} or {@code v1beta1.DRAPlugin}; the result is version-neutral.
 *
 * <p>A claim missing from an answer is reported as an error, as the kubelet treats it.
 */
public final class DraCalls {

  /** The kubelet's deadline for a prepare or unprepare call. */
  public static final Duration DEADLINE = Duration.ofSeconds(45);

  private final ManagedChannel channel;
  private final String service;

  /**
   * @param channel connection to the DRA socket
   * @param service {@code v1.DRAPlugin} or {@code v1beta1.DRAPlugin}
   */
  public DraCalls(ManagedChannel channel, String service) {
    if (!KubeletEmulator.KUBELET_DRA_SERVICES.contains(service)) {
      throw new IllegalArgumentException("unknown DRA service " + service);
    }
    this.channel = channel;
    this.service = service;
  }

  /** Calls for the service the registration chose. */
  public static DraCalls of(RegisteredPlugin plugin) {
    return new DraCalls(plugin.draChannel(), plugin.chosenService());
  }

  /** The service version spoken. */
  public String service() {
    return service;
  }

  /** NodePrepareResources for one pod's claims. */
  public Map<String, ClaimOutcome> prepare(List<PodClaim> claims) {
    Map<String, ClaimOutcome> out = new LinkedHashMap<>();
    if (service.equals("v1.DRAPlugin")) {
      var req = dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest.newBuilder();
      claims.forEach(c -> req.addClaims(v1(c)));
      var resp =
          dev.gpudra.proto.dra.v1.DRAPluginGrpc.newBlockingStub(channel)
              .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .nodePrepareResources(req.build());
      resp.getClaimsMap()
          .forEach(
              (uid, r) ->
                  out.put(
                      uid,
                      new ClaimOutcome(
                          r.getDevicesList().stream()
                              .map(
                                  d ->
                                      new ClaimOutcome.PreparedDeviceView(
                                          d.getRequestNamesList(),
                                          d.getPoolName(),
                                          d.getDeviceName(),
                                          d.getCdiDeviceIdsList()))
                              .toList(),
                          r.getError())));
    } else {
      var req = dev.gpudra.proto.dra.v1beta1.NodePrepareResourcesRequest.newBuilder();
      claims.forEach(c -> req.addClaims(v1beta1(c)));
      var resp =
          dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc.newBlockingStub(channel)
              .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .nodePrepareResources(req.build());
      resp.getClaimsMap()
          .forEach(
              (uid, r) ->
                  out.put(
                      uid,
                      new ClaimOutcome(
                          r.getDevicesList().stream()
                              .map(
                                  d ->
                                      new ClaimOutcome.PreparedDeviceView(
                                          d.getRequestNamesList(),
                                          d.getPoolName(),
                                          d.getDeviceName(),
                                          d.getCdiDeviceIdsList()))
                              .toList(),
                          r.getError())));
    }
    return withMissing(claims, out);
  }

  /** NodeUnprepareResources for one pod's claims. */
  public Map<String, ClaimOutcome> unprepare(List<PodClaim> claims) {
    Map<String, ClaimOutcome> out = new LinkedHashMap<>();
    if (service.equals("v1.DRAPlugin")) {
      var req = dev.gpudra.proto.dra.v1.NodeUnprepareResourcesRequest.newBuilder();
      claims.forEach(c -> req.addClaims(v1(c)));
      dev.gpudra.proto.dra.v1.DRAPluginGrpc.newBlockingStub(channel)
          .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .nodeUnprepareResources(req.build())
          .getClaimsMap()
          .forEach((uid, r) -> out.put(uid, new ClaimOutcome(List.of(), r.getError())));
    } else {
      var req = dev.gpudra.proto.dra.v1beta1.NodeUnprepareResourcesRequest.newBuilder();
      claims.forEach(c -> req.addClaims(v1beta1(c)));
      dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc.newBlockingStub(channel)
          .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .nodeUnprepareResources(req.build())
          .getClaimsMap()
          .forEach((uid, r) -> out.put(uid, new ClaimOutcome(List.of(), r.getError())));
    }
    return withMissing(claims, out);
  }

  private static Map<String, ClaimOutcome> withMissing(
      List<PodClaim> claims, Map<String, ClaimOutcome> out) {
    for (PodClaim c : claims) {
      out.putIfAbsent(c.uid(), new ClaimOutcome(List.of(), "claim missing from the answer"));
    }
    return out;
  }

  private static dev.gpudra.proto.dra.v1.Claim v1(PodClaim c) {
    return dev.gpudra.proto.dra.v1.Claim.newBuilder()
        .setNamespace(c.namespace())
        .setUid(c.uid())
        .setName(c.name())
        .build();
  }

  private static dev.gpudra.proto.dra.v1beta1.Claim v1beta1(PodClaim c) {
    return dev.gpudra.proto.dra.v1beta1.Claim.newBuilder()
        .setNamespace(c.namespace())
        .setUid(c.uid())
        .setName(c.name())
        .build();
  }
}
