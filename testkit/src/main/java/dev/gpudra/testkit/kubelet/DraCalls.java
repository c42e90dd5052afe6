package dev.gpudra.testkit.kubelet;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.gpudra.proto.dra.v1.Claim;
import dev.gpudra.proto.dra.v1.DRAPluginGrpc;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesResponse;
import dev.gpudra.proto.dra.v1.NodeUnprepareResourcesRequest;
import dev.gpudra.proto.dra.v1.NodeUnprepareResourcesResponse;
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
 *
 * <p>The v1beta1 messages are the v1 ones field for field, less v1's optional {@code
 * Device.share_id}, so calls are built and read as v1 and cross to v1beta1 as their wire bytes.
 */
public final class DraCalls {

  /** The kubelet's deadline for a prepare or unprepare call. */
  public static final Duration DEADLINE = Duration.ofSeconds(45);

  private static final String V1 = "v1.DRAPlugin";

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
    var req = NodePrepareResourcesRequest.newBuilder();
    claims.forEach(c -> req.addClaims(claim(c)));
    NodePrepareResourcesResponse resp =
        service.equals(V1)
            ? v1().nodePrepareResources(req.build())
            : cross(
                v1beta1()
                    .nodePrepareResources(
                        cross(
                            req.build(),
                            dev.gpudra.proto.dra.v1beta1.NodePrepareResourcesRequest.parser())),
                NodePrepareResourcesResponse.parser());
    Map<String, ClaimOutcome> out = new LinkedHashMap<>();
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
                                        d.getCdiDeviceIdsList(),
                                        d.hasShareId() ? d.getShareId() : null))
                            .toList(),
                        r.getError())));
    return withMissing(claims, out);
  }

  /** NodeUnprepareResources for one pod's claims. */
  public Map<String, ClaimOutcome> unprepare(List<PodClaim> claims) {
    var req = NodeUnprepareResourcesRequest.newBuilder();
    claims.forEach(c -> req.addClaims(claim(c)));
    NodeUnprepareResourcesResponse resp =
        service.equals(V1)
            ? v1().nodeUnprepareResources(req.build())
            : cross(
                v1beta1()
                    .nodeUnprepareResources(
                        cross(
                            req.build(),
                            dev.gpudra.proto.dra.v1beta1.NodeUnprepareResourcesRequest.parser())),
                NodeUnprepareResourcesResponse.parser());
    Map<String, ClaimOutcome> out = new LinkedHashMap<>();
    resp.getClaimsMap()
        .forEach((uid, r) -> out.put(uid, new ClaimOutcome(List.of(), r.getError())));
    return withMissing(claims, out);
  }

  private DRAPluginGrpc.DRAPluginBlockingStub v1() {
    return DRAPluginGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc.DRAPluginBlockingStub v1beta1() {
    return dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The same message as the other version's type: the fields match, so the bytes do. */
  private static <T> T cross(MessageLite message, Parser<T> parser) {
    try {
      return parser.parseFrom(message.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("DRA v1 and v1beta1 messages no longer match", e);
    }
  }

  private static Map<String, ClaimOutcome> withMissing(
      List<PodClaim> claims, Map<String, ClaimOutcome> out) {
    for (PodClaim c : claims) {
      out.putIfAbsent(c.uid(), new ClaimOutcome(List.of(), "claim missing from the answer"));
    }
    return out;
  }

  private static Claim claim(PodClaim c) {
    return Claim.newBuilder().setNamespace(c.namespace()).setUid(c.uid()).setName(c.name()).build();
  }
}
