package dev.gpudra.cdi.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.CommonEditsBuilder;
import dev.gpudra.cdi.DeviceMajors;
import dev.gpudra.cdi.DriverFiles;
import dev.gpudra.cdi.Fixtures;
import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.cdi.spec.CdiDevice;
import dev.gpudra.cdi.spec.CdiSpec;
import dev.gpudra.cdi.spec.ContainerEdits;
import dev.gpudra.cdi.spec.DeviceNode;
import dev.gpudra.cdi.spec.Hook;
import dev.gpudra.cdi.spec.Mount;
import dev.gpudra.core.config.TimeSliceInterval;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Our generated specs judged by the reference CDI implementation ({@code
 * tags.cncf.io/container-device-interface}, via {@code tools/cdi-validate}): it must load every
 * spec without error, and injecting each device into a sample OCI spec must yield exactly the
 * device nodes, cgroup rules, environment, mounts and hooks the spec meant.
 */
class ReferenceCdiValidationIT {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static Path tool;

  @TempDir Path tmp;

  @BeforeAll
  static void findTool() {
    String path = System.getProperty("gpudra.cdiValidate");
    assertThat(path).as("system property gpudra.cdiValidate (set by the cdi build)").isNotNull();
    tool = Path.of(path);
    assertThat(Files.isExecutable(tool)).as("cdi-validate built at %s", tool).isTrue();
  }

  /** Every claim shape we generate, on two differently set-up nodes. */
  private List<ClaimSpec> allCases() {
    ClaimSpecBuilder a100Node = Fixtures.builder();

    // An 8-GPU H100 node with a containerised driver, modeset and other dynamic majors.
    DeviceMajors h100Majors = new DeviceMajors(195, 236, 237);
    DriverFiles f = Fixtures.nodeFiles();
    DriverFiles h100Files =
        new DriverFiles(
            "/run/nvidia/driver",
            f.driverVersion(),
            f.libraries(),
            f.binaries(),
            f.firmware(),
            List.of("/run/nvidia-persistenced/socket", "/run/nvidia-fabricmanager/socket"),
            true);
    ClaimSpecBuilder h100Node =
        new ClaimSpecBuilder(
            h100Majors,
            new CommonEditsBuilder("/var/lib/kubelet/plugins/gpu.gpudra.dev/nvidia-cdi-hook")
                .build(h100Files, h100Majors));
    MigMinors minors = MigMinors.parse(Fixtures.migMinorsFile(8));

    List<ClaimSpec> cases = new ArrayList<>();
    cases.add(a100Node.build(Fixtures.A100_FULL_CLAIM, List.of(Fixtures.a100Full())));
    cases.add(a100Node.build(Fixtures.A100_MIG_CLAIM, List.of(Fixtures.a100Mig1g10gb())));
    cases.add(a100Node.build(Fixtures.H100_PAIR_CLAIM, Fixtures.h100Pair()));
    cases.add(
        h100Node.build(
            "e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9",
            List.of(
                new PreparedDevice.FullGpu(
                    "gpu-7",
                    7,
                    Fixtures.H100_UUID_1,
                    Sharing.timeSlicing(TimeSliceInterval.MEDIUM)))));
    cases.add(
        h100Node.build(
            "5a5b5c5d-6e6f-4a4b-8c8d-9e9f0a0b0c0d",
            List.of(
                mig(
                    "gpu-3-mig-3g40gb-9-4",
                    3,
                    2,
                    0,
                    minors,
                    "GPU-33333333-3333-4333-8333-333333333333",
                    "MIG-44444444-4444-4444-8444-444444444444"),
                mig(
                    "gpu-5-mig-1g10gb-19-6",
                    5,
                    13,
                    0,
                    minors,
                    "GPU-55555555-5555-4555-8555-555555555555",
                    "MIG-66666666-6666-4666-8666-666666666666"),
                new PreparedDevice.FullGpu(
                    "gpu-6", 6, "GPU-77777777-7777-4777-8777-777777777777", Sharing.exclusive()))));
    return cases;
  }

  private static PreparedDevice mig(
      String name, int gpu, int gi, int ci, MigMinors minors, String parent, String uuid) {
    return new PreparedDevice.MigDevice(
        name,
        gpu,
        parent,
        uuid,
        gi,
        ci,
        minors.gpuInstance(gpu, gi).orElseThrow(),
        minors.computeInstance(gpu, gi, ci).orElseThrow(),
        Sharing.exclusive());
  }

  @Test
  void referenceImplementationAcceptsEverySpecAndInjectsWhatWeMeant() throws Exception {
    Path dir = tmp.resolve("cdi");
    CdiSpecWriter writer = new CdiSpecWriter(dir);
    List<ClaimSpec> cases = allCases();
    cases.forEach(writer::write);

    Result result = run(dir);

    assertThat(result.exitCode()).as("cdi-validate output:%n%s", result.stdout()).isZero();
    JsonNode report = JSON.readTree(result.stdout());
    assertThat(report.get("errors").properties()).as("spec errors").isEmpty();
    assertThat(report.get("specs")).hasSize(cases.size());

    Map<String, JsonNode> specsByPath = new HashMap<>();
    report.get("specs").forEach(s -> specsByPath.put(s.get("path").asString(), s));
    Map<String, JsonNode> devicesById = new HashMap<>();
    report.get("devices").forEach(d -> devicesById.put(d.get("name").asString(), d));

    int devices = 0;
    for (ClaimSpec claim : cases) {
      JsonNode spec = specsByPath.get(dir.resolve(claim.fileName()).toString());
      assertThat(spec).as("reference loaded %s", claim.fileName()).isNotNull();
      assertThat(spec.get("cdiVersion").asString()).isEqualTo(claim.spec().cdiVersion());
      for (int i = 0; i < claim.spec().devices().size(); i++) {
        CdiDevice device = claim.spec().devices().get(i);
        String id = claim.cdiIds().get(i);
        JsonNode injected = devicesById.get(id);
        assertThat(injected).as("reference resolves %s", id).isNotNull();
        assertInjected(id, claim.spec(), device, injected);
        devices++;
      }
    }
    assertThat(devicesById).hasSize(devices);
    // Independently of our spec: GPU 3's GI 2 / CI 0 are nvidia-cap 3 + 3 * 135 + 2 * 9 and one
    // more in the driver's numbering, on the node's nvidia-caps major.
    assertThat(
            devicesById
                .get(
                    "k8s.gpu.gpudra.dev/claim=5a5b5c5d-6e6f-4a4b-8c8d-9e9f0a0b0c0d"
                        + "-gpu-3-mig-3g40gb-9-4")
                .get("deviceNodes")
                .valueStream()
                .map(ReferenceCdiValidationIT::node)
                .toList())
        .contains(
            "/dev/nvidia3 c 195:3",
            "/dev/nvidia-caps/nvidia-cap426 c 237:426",
            "/dev/nvidia-caps/nvidia-cap427 c 237:427",
            "/dev/nvidiactl c 195:255",
            "/dev/nvidia-modeset c 195:254");
    System.out.printf(
        "reference CDI (tags.cncf.io/container-device-interface) validated %d specs and %d"
            + " devices: 0 spec errors, every injection as intended%n",
        cases.size(), devices);
  }

  private static void assertInjected(String id, CdiSpec spec, CdiDevice device, JsonNode got) {
    ContainerEdits meant = spec.containerEdits().plus(device.containerEdits());

    assertThat(got.path("injectError").asString("")).as("%s inject error", id).isEmpty();
    assertThat(got.get("deviceNodes").valueStream().map(ReferenceCdiValidationIT::node).toList())
        .as("%s device nodes", id)
        .containsExactlyElementsOf(
            meant.deviceNodes().stream().map(ReferenceCdiValidationIT::node).toList());
    assertThat(got.get("cgroupDevices").valueStream().map(ReferenceCdiValidationIT::rule).toList())
        .as("%s cgroup rules", id)
        .containsExactlyElementsOf(
            meant.deviceNodes().stream()
                .map(n -> "allow c " + n.major() + ":" + n.minor() + " rwm")
                .toList());
    assertThat(got.get("env").valueStream().map(JsonNode::asString).toList())
        .as("%s env", id)
        .containsExactlyElementsOf(meant.env());
    assertThat(
            got.get("mounts").valueStream().map(ReferenceCdiValidationIT::mount).sorted().toList())
        .as("%s mounts", id)
        .containsExactlyElementsOf(
            meant.mounts().stream().map(ReferenceCdiValidationIT::mount).sorted().toList());
    assertThat(got.get("hooks").valueStream().map(ReferenceCdiValidationIT::hook).toList())
        .as("%s hooks", id)
        .containsExactlyElementsOf(
            meant.hooks().stream().map(ReferenceCdiValidationIT::hook).toList());
    assertThat(got.get("additionalGids")).as("%s gids", id).isEmpty();
  }

  @Test
  void theJudgeReportsBrokenSpecsAndFailedInjections() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("broken"));
    // A digit-first device name at 0.3.0, and a node the runtime must stat but cannot find.
    Files.writeString(
        dir.resolve("k8s.gpu.gpudra.dev-claim_00000000-0000-4000-8000-000000000001.json"),
        "{\"cdiVersion\":\"0.3.0\",\"kind\":\"k8s.gpu.gpudra.dev/claim\",\"devices\":[{\"name\":"
            + "\"0-gpu-0\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}");
    Files.writeString(
        dir.resolve("k8s.gpu.gpudra.dev-claim_a0000000-0000-4000-8000-000000000002.json"),
        "{\"cdiVersion\":\"0.3.0\",\"kind\":\"k8s.gpu.gpudra.dev/claim\",\"devices\":[{\"name\":"
            + "\"a-gpu-0\",\"containerEdits\":{\"deviceNodes\":[{\"path\":"
            + "\"/dev/gpudra-no-such-node\"}]}}]}");

    Result result = run(dir);

    assertThat(result.exitCode()).isEqualTo(1);
    JsonNode report = JSON.readTree(result.stdout());
    assertThat(report.get("errors").toString()).contains("must be at least v0.5.0");
    assertThat(report.get("devices").get(0).get("injectError").asString())
        .contains("/dev/gpudra-no-such-node");
  }

  private static String node(JsonNode n) {
    return n.get("path").asString()
        + " "
        + n.get("type").asString()
        + " "
        + n.get("major").asLong()
        + ":"
        + n.get("minor").asLong();
  }

  private static String node(DeviceNode n) {
    return n.path() + " " + n.type().code() + " " + n.major() + ":" + n.minor();
  }

  private static String rule(JsonNode r) {
    return (r.get("allow").asBoolean() ? "allow " : "deny ")
        + r.get("type").asString()
        + " "
        + r.get("major").asLong()
        + ":"
        + r.get("minor").asLong()
        + " "
        + r.get("access").asString();
  }

  private static String mount(JsonNode m) {
    return m.get("source").asString()
        + " -> "
        + m.get("destination").asString()
        + " "
        + m.get("options").valueStream().map(JsonNode::asString).toList();
  }

  private static String mount(Mount m) {
    return m.hostPath() + " -> " + m.containerPath() + " " + m.options();
  }

  private static String hook(JsonNode h) {
    return h.get("stage").asString()
        + " "
        + h.get("path").asString()
        + " "
        + h.get("args").valueStream().map(JsonNode::asString).toList();
  }

  private static String hook(Hook h) {
    return h.hookName().specName() + " " + h.path() + " " + h.args();
  }

  private record Result(int exitCode, String stdout) {}

  private static Result run(Path dir) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(tool.toString(), dir.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("cdi-validate finished").isTrue();
    return new Result(p.exitValue(), out);
  }
}
