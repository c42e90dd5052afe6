package dev.gpudra.plugin.node;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockTools;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The MPS part of the crash test: the claims that use a GPU's MPS daemon, and the check that the
 * daemons on a fake node agree with its checkpoint: every GPU that an entry records as an MPS GPU
 * has a running daemon (in compute mode {@code EXCLUSIVE_PROCESS}), and no other GPU has a daemon
 * or that compute mode.
 */
final class MpsConsistency {

  /** The GPU the crash test's MPS claims share. */
  static final String GPU = "gpu-3";

  /** A claim asking for MPS with daemon defaults, for a whole GPU. */
  static final String MPS_CONFIG =
      "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":{\"strategy\":"
          + "\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":50}}}";

  /** Refusals the MPS claims may get while others hold their GPU. */
  static final List<String> EXPECTED_REFUSALS =
      List.of(
          "MPS needs compute mode EXCLUSIVE_PROCESS",
          "a GPU has one MPS daemon for all claims sharing it");

  private MpsConsistency() {}

  /** A share of {@link #GPU} with share ID {@code shareId}, which its GPU's daemon serves. */
  static PodClaim share(Claims claims, String name, String node, String shareId) {
    DeviceRequestAllocationResult result = Claims.result("gpu", node, GPU, false);
    result.setShareID(shareId);
    Map<String, Quantity> consumed = new LinkedHashMap<>();
    consumed.put("memory", new Quantity("2Gi"));
    consumed.put("cores", new Quantity("20"));
    result.setConsumedCapacity(consumed);
    return claims.allocated(name, List.of(result), List.of());
  }

  /** Differences between the node's daemons and its checkpoint; empty when they agree. */
  static List<String> problems(FakeNode node) {
    Checkpoint cp;
    try {
      cp = CheckpointCodec.decode(Files.readAllBytes(node.checkpointFile()));
    } catch (Exception e) {
      return List.of("checkpoint unreadable: " + e.getMessage());
    }
    Set<String> recorded = new TreeSet<>();
    for (PreparedClaim claim : cp.entries()) {
      for (CheckpointedDevice d : claim.devices()) {
        if (d.mps() != null) {
          recorded.add(d.mps().gpuUuid());
        }
      }
    }
    MockTools.State state = MockTools.read(node.toolStateFile());
    Set<String> running = state.runningDaemons().keySet();
    List<String> problems = new ArrayList<>();
    for (String gpu : recorded) {
      if (!running.contains(gpu)) {
        problems.add("GPU " + gpu + " has MPS claims recorded but no running daemon");
      }
      if (!state.computeMode(gpu).equals("EXCLUSIVE_PROCESS")) {
        problems.add("GPU " + gpu + " runs MPS in compute mode " + state.computeMode(gpu));
      }
    }
    for (String gpu : running) {
      if (!recorded.contains(gpu)) {
        problems.add("GPU " + gpu + " runs an MPS daemon that no claim holds");
      }
    }
    state
        .computeModes()
        .forEach(
            (gpu, mode) -> {
              if (!mode.equals("DEFAULT") && !recorded.contains(gpu)) {
                problems.add("GPU " + gpu + " stays in compute mode " + mode + " without MPS");
              }
            });
    return problems;
  }

  /** Kills every running daemon of {@code node}, as a restart of the plugin's container would. */
  static void killDaemons(FakeNode node) {
    MockTools.killDaemons(node.toolStateFile());
  }
}
