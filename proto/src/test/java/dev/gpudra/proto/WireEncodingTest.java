package dev.gpudra.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.gpudra.proto.dra.v1.Claim;
import dev.gpudra.proto.dra.v1.Device;
import dev.gpudra.proto.dra.v1.NodePrepareResourceResponse;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesResponse;
import dev.gpudra.proto.health.v1alpha1.DeviceHealth;
import dev.gpudra.proto.health.v1alpha1.DeviceIdentifier;
import dev.gpudra.proto.health.v1alpha1.HealthStatus;
import dev.gpudra.proto.health.v1alpha1.NodeWatchResourcesResponse;
import dev.gpudra.proto.registration.v1.PluginInfo;
import dev.gpudra.proto.registration.v1.RegistrationStatus;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Messages built with the generated classes encode to the bytes the protobuf wire format
 * prescribes, and those bytes decode back to the same messages. The expected bytes are written out
 * field by field (tag byte = field number << 3 | wire type; 2 = length-delimited, 0 = varint), so a
 * wrong field number, wire type or label shows up as a byte difference.
 */
class WireEncodingTest {

  private static final String CDI_ID_HEX =
      // "k8s.gpu.gpudra.dev/claim=7f3a-gpu-0", 35 bytes
      "6b38732e6770752e6770756472612e6465762f636c61696d3d376633612d6770752d30";

  /** v1beta1 Device fields 1-4, shared by both versions' encodings. */
  private static final String DEVICE_FIELDS_1_TO_4 =
      "0a03 677075" // 1 request_names "gpu"
          + "1206 6e6f64652d61" // 2 pool_name "node-a"
          + "1a05 6770752d30" // 3 device_name "gpu-0"
          + "2223 "
          + CDI_ID_HEX; // 4 cdi_device_ids, length 0x23

  static Stream<Arguments> encodings() {
    return Stream.of(
        Arguments.of(
            "dra.v1 Claim",
            Claim.newBuilder().setNamespace("gpu-ns").setUid("7f3a").setName("train").build(),
            "0a06 6770752d6e73" // 1 namespace "gpu-ns"
                + "1204 37663361" // 2 uid "7f3a"
                + "1a05 747261696e"), // 3 name "train"
        Arguments.of(
            "dra.v1 NodePrepareResourcesRequest",
            NodePrepareResourcesRequest.newBuilder()
                .addClaims(
                    Claim.newBuilder().setNamespace("gpu-ns").setUid("7f3a").setName("train"))
                .build(),
            "0a15" // 1 claims, one 21-byte Claim
                + "0a06 6770752d6e73 1204 37663361 1a05 747261696e"),
        Arguments.of(
            "dra.v1 Device with an explicitly empty share_id",
            v1Device().setShareId("").build(),
            DEVICE_FIELDS_1_TO_4 + "2a00"), // 5 share_id: present although empty
        Arguments.of("dra.v1 Device without share_id", v1Device().build(), DEVICE_FIELDS_1_TO_4),
        Arguments.of(
            "dra.v1beta1 Device",
            dev.gpudra.proto.dra.v1beta1.Device.newBuilder()
                .addRequestNames("gpu")
                .setPoolName("node-a")
                .setDeviceName("gpu-0")
                .addCdiDeviceIds("k8s.gpu.gpudra.dev/claim=7f3a-gpu-0")
                .build(),
            DEVICE_FIELDS_1_TO_4),
        Arguments.of(
            "dra.v1 NodePrepareResourcesResponse map entry",
            NodePrepareResourcesResponse.newBuilder()
                .putClaims(
                    "7f3a", NodePrepareResourceResponse.newBuilder().setError("boom").build())
                .build(),
            "0a0e" // 1 claims: one 14-byte map entry
                + "0a04 37663361" // entry key (1) "7f3a"
                + "1206 1204 626f6f6d"), // entry value (2): NodePrepareResourceResponse error
        // "boom"
        Arguments.of(
            "registration PluginInfo",
            PluginInfo.newBuilder()
                .setType("DRAPlugin")
                .setName("gpu.gpudra.dev")
                .setEndpoint("/p/dra.sock")
                .addSupportedVersions("v1.DRAPlugin")
                .addSupportedVersions("v1beta1.DRAPlugin")
                .build(),
            "0a09 445241506c7567696e" // 1 type "DRAPlugin"
                + "120e 6770752e6770756472612e646576" // 2 name "gpu.gpudra.dev"
                + "1a0b 2f702f6472612e736f636b" // 3 endpoint "/p/dra.sock"
                + "220c 76312e445241506c7567696e" // 4 "v1.DRAPlugin"
                + "2211 763162657461312e445241506c7567696e"), // 4 "v1beta1.DRAPlugin"
        Arguments.of(
            "registration RegistrationStatus (failure)",
            RegistrationStatus.newBuilder()
                .setPluginRegistered(false)
                .setError("no handler")
                .build(),
            "120a 6e6f2068616e646c6572"), // 2 error; false is the default and not sent
        Arguments.of(
            "registration RegistrationStatus (success)",
            RegistrationStatus.newBuilder().setPluginRegistered(true).build(),
            "0801"), // 1 plugin_registered true
        Arguments.of(
            "health.v1alpha1 NodeWatchResourcesResponse",
            NodeWatchResourcesResponse.newBuilder()
                .addDevices(
                    DeviceHealth.newBuilder()
                        .setDevice(
                            DeviceIdentifier.newBuilder()
                                .setPoolName("node-a")
                                .setDeviceName("gpu-0"))
                        .setHealth(HealthStatus.HEALTHY)
                        .setLastUpdatedTime(1_700_000_000L))
                .build(),
            "0a19" // 1 devices: one 25-byte DeviceHealth
                + "0a0f 0a06 6e6f64652d61 1205 6770752d30" // 1 device {pool_name, device_name}
                + "1001" // 2 health HEALTHY (enum varint 1)
                + "18 80e2cfaa06")); // 3 last_updated_time 1700000000 as varint
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void encodesToTheWireFormatBytes(String name, Message message, String expectedHex) {
    assertThat(HexFormat.of().formatHex(message.toByteArray())).isEqualTo(compact(expectedHex));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void decodesTheWireFormatBytes(String name, Message message, String hex)
      throws InvalidProtocolBufferException {
    Message decoded = message.getParserForType().parseFrom(bytes(hex));

    assertThat(decoded).isEqualTo(message);
  }

  @Test
  void v1beta1ReadsAV1DeviceAndKeepsShareIdAsUnknownField() throws Exception {
    byte[] v1Bytes = v1Device().setShareId("s1").build().toByteArray();

    var v1beta1 = dev.gpudra.proto.dra.v1beta1.Device.parseFrom(v1Bytes);

    assertThat(v1beta1.getPoolName()).isEqualTo("node-a");
    assertThat(v1beta1.getDeviceName()).isEqualTo("gpu-0");
    assertThat(v1beta1.getCdiDeviceIdsList())
        .containsExactly("k8s.gpu.gpudra.dev/claim=7f3a-gpu-0");
    assertThat(v1beta1.getUnknownFields().hasField(5)).isTrue();
  }

  @Test
  void v1ReadsAV1beta1DeviceAsOneWithoutShareId() throws Exception {
    Device v1 = Device.parseFrom(bytes(DEVICE_FIELDS_1_TO_4));

    assertThat(v1.hasShareId()).isFalse();
    assertThat(v1.getRequestNamesList()).containsExactly("gpu");
  }

  private static Device.Builder v1Device() {
    return Device.newBuilder()
        .addRequestNames("gpu")
        .setPoolName("node-a")
        .setDeviceName("gpu-0")
        .addCdiDeviceIds("k8s.gpu.gpudra.dev/claim=7f3a-gpu-0");
  }

  private static String compact(String hex) {
    return hex.replace(" ", "");
  }

  private static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(compact(hex));
  }
}
