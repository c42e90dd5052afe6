package dev.gpudra.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.gpudra.proto.dra.v1.DraV1Proto;
import dev.gpudra.proto.dra.v1beta1.DraV1Beta1Proto;
import dev.gpudra.proto.health.v1alpha1.DRAResourceHealthGrpc;
import dev.gpudra.proto.health.v1alpha1.DraHealthV1Alpha1Proto;
import dev.gpudra.proto.registration.v1.RegistrationGrpc;
import dev.gpudra.proto.registration.v1.RegistrationProto;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServiceDescriptor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generated contracts match what the kubelet sends and expects: gRPC paths, proto packages, and
 * every message's field names, numbers and types. The tables below are the wire facts of the
 * kubelet's plugin registration v1, DRA v1 and v1beta1 and DRA health v1alpha1 APIs; a change to a
 * .proto file that breaks compatibility with the kubelet fails here.
 */
class WireContractTest {

  private static final Map<String, FileDescriptor> FILES =
      Map.of(
          "registration", RegistrationProto.getDescriptor(),
          "dra.v1", DraV1Proto.getDescriptor(),
          "dra.v1beta1", DraV1Beta1Proto.getDescriptor(),
          "health.v1alpha1", DraHealthV1Alpha1Proto.getDescriptor(),
          "health.v1", dev.gpudra.proto.health.v1.DraHealthV1Proto.getDescriptor());

  /** file | message | field | number | type, as the kubelet's API defines them. */
  private static final String FIELDS =
      """
      registration    | PluginInfo                     | type                         | 1 | string
      registration    | PluginInfo                     | name                         | 2 | string
      registration    | PluginInfo                     | endpoint                     | 3 | string
      registration    | PluginInfo                     | supported_versions           | 4 | repeated string
      registration    | RegistrationStatus             | plugin_registered            | 1 | bool
      registration    | RegistrationStatus             | error                        | 2 | string
      dra.v1          | NodePrepareResourcesRequest    | claims                       | 1 | repeated Claim
      dra.v1          | NodePrepareResourcesResponse   | claims                       | 1 | map<string, NodePrepareResourceResponse>
      dra.v1          | NodePrepareResourceResponse    | devices                      | 1 | repeated Device
      dra.v1          | NodePrepareResourceResponse    | error                        | 2 | string
      dra.v1          | Device                         | request_names                | 1 | repeated string
      dra.v1          | Device                         | pool_name                    | 2 | string
      dra.v1          | Device                         | device_name                  | 3 | string
      dra.v1          | Device                         | cdi_device_ids               | 4 | repeated string
      dra.v1          | Device                         | share_id                     | 5 | optional string
      dra.v1          | NodeUnprepareResourcesRequest  | claims                       | 1 | repeated Claim
      dra.v1          | NodeUnprepareResourcesResponse | claims                       | 1 | map<string, NodeUnprepareResourceResponse>
      dra.v1          | NodeUnprepareResourceResponse  | error                        | 1 | string
      dra.v1          | Claim                          | namespace                    | 1 | string
      dra.v1          | Claim                          | uid                          | 2 | string
      dra.v1          | Claim                          | name                         | 3 | string
      dra.v1beta1     | NodePrepareResourcesRequest    | claims                       | 1 | repeated Claim
      dra.v1beta1     | NodePrepareResourcesResponse   | claims                       | 1 | map<string, NodePrepareResourceResponse>
      dra.v1beta1     | NodePrepareResourceResponse    | devices                      | 1 | repeated Device
      dra.v1beta1     | NodePrepareResourceResponse    | error                        | 2 | string
      dra.v1beta1     | Device                         | request_names                | 1 | repeated string
      dra.v1beta1     | Device                         | pool_name                    | 2 | string
      dra.v1beta1     | Device                         | device_name                  | 3 | string
      dra.v1beta1     | Device                         | cdi_device_ids               | 4 | repeated string
      dra.v1beta1     | NodeUnprepareResourcesRequest  | claims                       | 1 | repeated Claim
      dra.v1beta1     | NodeUnprepareResourcesResponse | claims                       | 1 | map<string, NodeUnprepareResourceResponse>
      dra.v1beta1     | NodeUnprepareResourceResponse  | error                        | 1 | string
      dra.v1beta1     | Claim                          | namespace                    | 1 | string
      dra.v1beta1     | Claim                          | uid                          | 2 | string
      dra.v1beta1     | Claim                          | name                         | 3 | string
      health.v1alpha1 | DeviceIdentifier               | pool_name                    | 1 | string
      health.v1alpha1 | DeviceIdentifier               | device_name                  | 2 | string
      health.v1alpha1 | DeviceHealth                   | device                       | 1 | DeviceIdentifier
      health.v1alpha1 | DeviceHealth                   | health                       | 2 | HealthStatus
      health.v1alpha1 | DeviceHealth                   | last_updated_time            | 3 | int64
      health.v1alpha1 | DeviceHealth                   | health_check_timeout_seconds | 4 | int64
      health.v1alpha1 | DeviceHealth                   | message                      | 5 | string
      health.v1alpha1 | NodeWatchResourcesResponse     | devices                      | 1 | repeated DeviceHealth
      health.v1       | DeviceIdentifier               | pool_name                    | 1 | string
      health.v1       | DeviceIdentifier               | device_name                  | 2 | string
      health.v1       | DeviceHealth                   | device                       | 1 | DeviceIdentifier
      health.v1       | DeviceHealth                   | health                       | 2 | HealthStatus
      health.v1       | DeviceHealth                   | last_updated_time            | 3 | int64
      health.v1       | DeviceHealth                   | health_check_timeout_seconds | 4 | int64
      health.v1       | DeviceHealth                   | message                      | 5 | string
      health.v1       | NodeWatchResourcesResponse     | devices                      | 1 | repeated DeviceHealth
      """;

  /** Messages without fields: they still have to exist under these names. */
  private static final String EMPTY_MESSAGES =
      """
      registration    | RegistrationStatusResponse
      registration    | InfoRequest
      health.v1alpha1 | NodeWatchResourcesRequest
      health.v1       | NodeWatchResourcesRequest
      """;

  record FieldRow(String file, String message, String field, int number, String type) {}

  static Stream<FieldRow> fieldTable() {
    return FIELDS
        .lines()
        .map(line -> Arrays.stream(line.split("\\|")).map(String::strip).toList())
        .map(c -> new FieldRow(c.get(0), c.get(1), c.get(2), Integer.parseInt(c.get(3)), c.get(4)));
  }

  static Stream<Arguments> protoPackages() {
    return Stream.of(
        Arguments.of("registration", "pluginregistration"),
        Arguments.of("dra.v1", "k8s.io.kubelet.pkg.apis.dra.v1"),
        Arguments.of("dra.v1beta1", "k8s.io.kubelet.pkg.apis.dra.v1beta1"),
        Arguments.of("health.v1alpha1", "v1alpha1"),
        Arguments.of("health.v1", "v1"));
  }

  @ParameterizedTest(name = "{0} is proto package {1}")
  @MethodSource("protoPackages")
  void declaresTheKubeletsProtoPackage(String file, String protoPackage) {
    assertThat(FILES.get(file).getPackage()).isEqualTo(protoPackage);
  }

  static Stream<Arguments> methods() {
    return Stream.of(
        Arguments.of(
            RegistrationGrpc.getGetInfoMethod(),
            "/pluginregistration.Registration/GetInfo",
            MethodType.UNARY),
        Arguments.of(
            RegistrationGrpc.getNotifyRegistrationStatusMethod(),
            "/pluginregistration.Registration/NotifyRegistrationStatus",
            MethodType.UNARY),
        Arguments.of(
            dev.gpudra.proto.dra.v1.DRAPluginGrpc.getNodePrepareResourcesMethod(),
            "/k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin/NodePrepareResources",
            MethodType.UNARY),
        Arguments.of(
            dev.gpudra.proto.dra.v1.DRAPluginGrpc.getNodeUnprepareResourcesMethod(),
            "/k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin/NodeUnprepareResources",
            MethodType.UNARY),
        Arguments.of(
            dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc.getNodePrepareResourcesMethod(),
            "/k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin/NodePrepareResources",
            MethodType.UNARY),
        Arguments.of(
            dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc.getNodeUnprepareResourcesMethod(),
            "/k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin/NodeUnprepareResources",
            MethodType.UNARY),
        Arguments.of(
            DRAResourceHealthGrpc.getNodeWatchResourcesMethod(),
            "/v1alpha1.DRAResourceHealth/NodeWatchResources",
            MethodType.SERVER_STREAMING),
        Arguments.of(
            dev.gpudra.proto.health.v1.DRAResourceHealthGrpc.getNodeWatchResourcesMethod(),
            "/v1.DRAResourceHealth/NodeWatchResources",
            MethodType.SERVER_STREAMING));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("methods")
  void servesEachMethodOnTheKubeletsGrpcPath(
      MethodDescriptor<?, ?> method, String wirePath, MethodType type) {
    assertThat("/" + method.getFullMethodName()).isEqualTo(wirePath);
    assertThat(method.getType()).isEqualTo(type);
  }

  static Stream<Arguments> services() {
    return Stream.of(
        Arguments.of(
            RegistrationGrpc.getServiceDescriptor(), Set.of("GetInfo", "NotifyRegistrationStatus")),
        Arguments.of(
            dev.gpudra.proto.dra.v1.DRAPluginGrpc.getServiceDescriptor(),
            Set.of("NodePrepareResources", "NodeUnprepareResources")),
        Arguments.of(
            dev.gpudra.proto.dra.v1beta1.DRAPluginGrpc.getServiceDescriptor(),
            Set.of("NodePrepareResources", "NodeUnprepareResources")),
        Arguments.of(DRAResourceHealthGrpc.getServiceDescriptor(), Set.of("NodeWatchResources")),
        Arguments.of(
            dev.gpudra.proto.health.v1.DRAResourceHealthGrpc.getServiceDescriptor(),
            Set.of("NodeWatchResources")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("services")
  void servicesDeclareNoMethodsBeyondTheKubeletsOnes(
      ServiceDescriptor service, Set<String> methodNames) {
    assertThat(service.getMethods())
        .extracting(m -> m.getBareMethodName())
        .containsExactlyInAnyOrderElementsOf(methodNames);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fieldTable")
  void declaresEachFieldWithTheKubeletsNumberAndType(FieldRow row) {
    Descriptor message = FILES.get(row.file()).findMessageTypeByName(row.message());
    assertThat(message).as("message %s in %s", row.message(), row.file()).isNotNull();

    FieldDescriptor field = message.findFieldByName(row.field());

    assertThat(field).as("field %s.%s", row.message(), row.field()).isNotNull();
    assertThat(field.getNumber()).isEqualTo(row.number());
    assertThat(render(field)).isEqualTo(row.type());
  }

  @Test
  void declaresNoMessagesOrFieldsBeyondTheTables() {
    Map<String, Set<String>> tabled =
        Stream.concat(
                fieldTable().map(r -> List.of(r.file(), r.message() + "." + r.field())),
                EMPTY_MESSAGES
                    .lines()
                    .map(line -> Arrays.stream(line.split("\\|")).map(String::strip).toList())
                    .map(c -> List.of(c.get(0), c.get(1) + ".")))
            .collect(
                Collectors.groupingBy(
                    key -> key.get(0), Collectors.mapping(key -> key.get(1), Collectors.toSet())));

    FILES.forEach(
        (file, descriptor) -> {
          Set<String> declared =
              descriptor.getMessageTypes().stream()
                  .flatMap(
                      m ->
                          m.getFields().isEmpty()
                              ? Stream.of(m.getName() + ".")
                              : m.getFields().stream().map(f -> m.getName() + "." + f.getName()))
                  .collect(Collectors.toSet());
          assertThat(declared).as(file).isEqualTo(tabled.get(file));
        });
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"health.v1alpha1", "health.v1"})
  void healthStatusHasTheKubeletsValues(String file) {
    List<String> values =
        FILES.get(file).findEnumTypeByName("HealthStatus").getValues().stream()
            .map(WireContractTest::render)
            .toList();

    assertThat(values).containsExactly("UNKNOWN=0", "HEALTHY=1", "UNHEALTHY=2");
  }

  @Test
  void v1beta1DeviceIsV1DeviceWithoutShareId() {
    Descriptor v1 = dev.gpudra.proto.dra.v1.Device.getDescriptor();
    Descriptor v1beta1 = dev.gpudra.proto.dra.v1beta1.Device.getDescriptor();

    assertThat(v1.getFields().stream().filter(f -> !f.getName().equals("share_id")))
        .extracting(f -> f.getNumber() + " " + render(f))
        .containsExactlyElementsOf(
            v1beta1.getFields().stream().map(f -> f.getNumber() + " " + render(f)).toList());
  }

  private static String render(EnumValueDescriptor value) {
    return value.getName() + "=" + value.getNumber();
  }

  /** Writes a field's type the way the .proto language spells it. */
  private static String render(FieldDescriptor field) {
    if (field.isMapField()) {
      Descriptor entry = field.getMessageType();
      return "map<"
          + baseType(entry.findFieldByName("key"))
          + ", "
          + baseType(entry.findFieldByName("value"))
          + ">";
    }
    if (field.isRepeated()) {
      return "repeated " + baseType(field);
    }
    // proto3 `optional` is carried as a synthetic one-field oneof; it gives explicit presence.
    boolean proto3Optional =
        field.getContainingOneof() != null && field.getRealContainingOneof() == null;
    return (proto3Optional ? "optional " : "") + baseType(field);
  }

  private static String baseType(FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case MESSAGE -> field.getMessageType().getName();
      case ENUM -> field.getEnumType().getName();
      default -> field.getType().name().toLowerCase(Locale.ROOT);
    };
  }
}
