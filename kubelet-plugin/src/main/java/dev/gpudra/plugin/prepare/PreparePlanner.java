package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.CdiNames;
import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.core.checkpoint.TimeSlice;
import dev.gpudra.core.config.AllocatedConfig;
import dev.gpudra.core.config.ClaimConfigs;
import dev.gpudra.core.config.ConfigSource;
import dev.gpudra.core.config.DeviceConfig;
import dev.gpudra.core.config.DeviceType;
import dev.gpudra.core.config.InvalidConfigException;
import dev.gpudra.core.config.NodeSharingPolicy;
import dev.gpudra.core.config.SharingConfig;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.mig.MigManagement;
import dev.gpudra.core.slice.DeviceNames;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides what preparing a claim means on this node: a pure function of the ResourceClaim, the
 * node's inventory and its policy. Thread-safe; nothing here touches files, devices or the API
 * server, so every refusal happens before anything is written.
 *
 * <p>With dynamic MIG, a MIG device name on a GPU that offers dynamic MIG is planned as a {@link
 * PlannedDevice.NewMig}: the placement to create, recorded before anything is created. Everywhere
 * else (static MIG, GPUs without dynamic MIG) a MIG device name must be an existing MIG device,
 * which is never created or destroyed here.
 *
 * <p>Only allocation results of our driver in this node's pool are taken; a claim with results of
 * our driver only in other pools was allocated to another node and is refused. A device listed in
 * several results (admin access next to a normal request) becomes one device serving all those
 * requests.
 */
public final class PreparePlanner {

  private final String driverName;
  private final String nodeName;
  private final NodeInventory inventory;
  private final MigPlanner migs;
  private final NodeSharingPolicy policy;
  private final MigManagement migManagement;
  private final Function<String, Sharing.Mps> mpsDaemons;

  /**
   * @param driverName our driver name
   * @param nodeName this node, also the name of its pool
   * @param inventory the node's devices
   * @param migMinors the node's MIG capability minors
   * @param policy the sharing strategies the node applies
   * @param dynamicMig whether the plugin creates MIG devices on demand; {@link
   *     MigManagement#managesMig} decides on which GPUs
   */
  public PreparePlanner(
      String driverName,
      String nodeName,
      NodeInventory inventory,
      MigMinors migMinors,
      NodeSharingPolicy policy,
      boolean dynamicMig) {
    this(driverName, nodeName, inventory, migMinors, policy, dynamicMig, null);
  }

  /**
   * A planner for a node that runs MPS control daemons, one per GPU.
   *
   * @param mpsDaemons the directories of a GPU's daemon by GPU UUID, for its clients' CDI edits;
   *     null where the node runs none (MPS is then refused, fractional shares get their limits
   *     without a daemon)
   */
  public PreparePlanner(
      String driverName,
      String nodeName,
      NodeInventory inventory,
      MigMinors migMinors,
      NodeSharingPolicy policy,
      boolean dynamicMig,
      Function<String, Sharing.Mps> mpsDaemons) {
    this.mpsDaemons = mpsDaemons;
    this.driverName = Objects.requireNonNull(driverName, "driverName");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.inventory = Objects.requireNonNull(inventory, "inventory");
    this.migs = new MigPlanner(Objects.requireNonNull(migMinors, "migMinors"));
    this.policy = Objects.requireNonNull(policy, "policy");
    this.migManagement = new MigManagement(dynamicMig);
  }

  /**
   * Plans claim {@code ref} as the API server returned it.
   *
   * @throws PrepareRefusedException with a message naming the claim and the reason
   */
  public PreparePlan plan(ClaimRef ref, ResourceClaim claim) throws PrepareRefusedException {
    String uid = claim.getMetadata() == null ? null : claim.getMetadata().getUid();
    if (!ref.uid().equals(uid)) {
      throw refused(ref, "the API server has a ResourceClaim of that name with UID " + uid);
    }
    AllocationResult allocation =
        claim.getStatus() == null ? null : claim.getStatus().getAllocation();
    if (allocation == null || allocation.getDevices() == null) {
      throw refused(ref, "the claim is not allocated");
    }
    List<DeviceRequestAllocationResult> ours =
        nullToEmpty(allocation.getDevices().getResults()).stream()
            .filter(r -> driverName.equals(r.getDriver()))
            .toList();
    if (ours.isEmpty()) {
      throw refused(ref, "the allocation has no device of driver " + driverName);
    }
    ClaimConfigs configs;
    try {
      configs = ClaimConfigs.decode(configs(allocation.getDevices().getConfig()));
    } catch (InvalidConfigException e) {
      throw refused(ref, "invalid configuration: " + e.getMessage());
    }

    Map<String, Merged> byDevice = new LinkedHashMap<>();
    for (int i = 0; i < ours.size(); i++) {
      DeviceRequestAllocationResult r = ours.get(i);
      if (isBlank(r.getRequest()) || isBlank(r.getPool()) || isBlank(r.getDevice())) {
        throw refused(ref, "allocation result " + i + " lacks its request, pool or device name");
      }
      if (!nodeName.equals(r.getPool())) {
        throw refused(
            ref,
            "device "
                + r.getDevice()
                + " is allocated in pool "
                + r.getPool()
                + ", not on this node ("
                + nodeName
                + ")");
      }
      boolean admin = Boolean.TRUE.equals(r.getAdminAccess());
      String share = isBlank(r.getShareID()) ? null : r.getShareID();
      Merged merged =
          byDevice.computeIfAbsent(
              r.getDevice(),
              d -> new Merged(new LinkedHashSet<>(), admin, share, r.getConsumedCapacity()));
      if (!Objects.equals(merged.shareId, share)) {
        throw refused(
            ref,
            "the allocation holds two shares of device "
                + r.getDevice()
                + " ("
                + merged.shareId
                + ", "
                + share
                + "); one claim may hold one share of a device: add a distinctAttribute"
                + " constraint on the device's uuid to the claim");
      }
      merged.add(r.getRequest(), admin);
    }

    List<PlannedDevice> devices = new ArrayList<>();
    for (Map.Entry<String, Merged> e : byDevice.entrySet()) {
      devices.add(planDevice(ref, e.getKey(), e.getValue(), configs));
    }
    List<String> mpsDevices =
        devices.stream()
            .map(PlannedDevice::record)
            .filter(d -> d.mps() != null)
            .map(CheckpointedDevice::deviceName)
            .toList();
    if (mpsDevices.size() > 1) {
      throw refused(
          ref,
          "devices "
              + mpsDevices
              + " would each use their GPU's MPS control daemon, but a container talks to one"
              + " daemon (one CUDA_MPS_PIPE_DIRECTORY) and this node runs one per GPU: ask for one"
              + " GPU shared through MPS per claim");
    }
    return new PreparePlan(ref, devices);
  }

  private PlannedDevice planDevice(
      ClaimRef ref, String deviceName, Merged merged, ClaimConfigs configs)
      throws PrepareRefusedException {
    Optional<DeviceNames.Parsed> parsed = DeviceNames.parse(deviceName);
    if (parsed.isEmpty()) {
      throw refused(ref, "device " + deviceName + " is not a device name of this driver");
    }
    DeviceType type =
        parsed.get() instanceof DeviceNames.Parsed.Mig ? DeviceType.MIG : DeviceType.GPU;
    DeviceConfig config;
    try {
      // One device is set up once: every request it serves must ask for the same configuration.
      Set<DeviceConfig> distinct = new LinkedHashSet<>();
      for (String request : merged.requests) {
        distinct.add(configs.configFor(request, type, deviceName));
      }
      if (distinct.size() > 1) {
        throw new InvalidConfigException(
            "",
            "requests "
                + merged.requests
                + " share device "
                + deviceName
                + " but configure it differently");
      }
      config = distinct.iterator().next();
      policy.check(config, deviceName);
    } catch (InvalidConfigException e) {
      throw refused(ref, "invalid configuration: " + e.getMessage());
    }
    if (config.sharing() instanceof SharingConfig.Mps && type == DeviceType.MIG) {
      throw refused(
          ref,
          "MPS on MIG device "
              + deviceName
              + " is not supported: this node runs one MPS control daemon per full GPU, and a"
              + " MIG-enabled GPU's compute mode cannot be set to EXCLUSIVE_PROCESS; use a full"
              + " GPU, or the MIG device with strategy Exclusive");
    }
    Sharing sharing =
        config.sharing() instanceof SharingConfig.Mps && mpsDaemons != null
            ? null
            : sharing(ref, config.sharing());
    CheckpointedDevice record =
        new CheckpointedDevice(
            List.copyOf(merged.requests),
            nodeName,
            deviceName,
            List.of(CdiNames.qualifiedId(ref.uid(), deviceName, merged.shareId)),
            merged.adminAccess,
            config.sharing().strategy());
    if (merged.shareId != null) {
      if (!(parsed.get() instanceof DeviceNames.Parsed.FullGpu)) {
        throw refused(
            ref,
            "device " + deviceName + " is allocated as a share, but only full GPUs are shared");
      }
      record = record.withShareId(merged.shareId);
    }
    return switch (parsed.get()) {
      case DeviceNames.Parsed.FullGpu gpu -> {
        Gpu whole = gpu(ref, deviceName, gpu.minor());
        MpsRecord mps = null;
        Sharing shared = sharing;
        if (merged.shareId != null) {
          if (config.sharing() instanceof SharingConfig.TimeSlicing) {
            throw refused(
                ref,
                "device "
                    + deviceName
                    + " is allocated as a share, whose limits are enforced through MPS;"
                    + " sharing.strategy TimeSlicing cannot apply to it");
          }
          if (config.sharing() instanceof SharingConfig.Mps asked) {
            MpsLimits.refuseOnShare(ref, deviceName, asked);
          }
          Sharing.Fractional share =
              ShareLimits.of(ref, deviceName, merged.shareId, merged.consumed, whole);
          if (mpsDaemons != null) {
            share = share.withDaemon(mpsDaemons.apply(whole.uuid()));
            mps = MpsRecord.clientOf(whole.uuid());
          }
          shared = share;
        } else if (config.sharing() instanceof SharingConfig.Mps asked) {
          mps = MpsLimits.of(ref, deviceName, asked, whole);
          Sharing.Mps dirs = mpsDaemons.apply(whole.uuid());
          shared =
              new Sharing.Mps(
                  dirs.hostPipeDirectory(),
                  dirs.hostShmDirectory(),
                  mps.defaultActiveThreadPercentage(),
                  mps.defaultPinnedMemoryLimitMib());
        }
        PreparedDevice.FullGpu hardware = fullGpu(ref, deviceName, gpu, shared);
        // The time slice is the GPU's: recorded before it is set, restored from the record.
        CheckpointedDevice recorded =
            config.sharing() instanceof SharingConfig.TimeSlicing ts
                ? record.withTimeSlice(TimeSlice.of(hardware.uuid(), ts.interval()))
                : record;
        // So is the MPS daemon: recorded before it is started, stopped from the record.
        yield new PlannedDevice.Existing(mps == null ? recorded : recorded.withMps(mps), hardware);
      }
      case DeviceNames.Parsed.Mig mig -> {
        Gpu parent = gpu(ref, deviceName, mig.minor());
        // A managed GPU with MIG off publishes no placements, but an allocation made before MIG
        // was turned off still names one: newMig refuses it saying so.
        if (migManagement.managesMig(parent)) {
          yield migs.toCreate(ref, record, parent, mig, sharing);
        }
        yield new PlannedDevice.Existing(
            record, migs.existing(ref, deviceName, parent, mig, sharing));
      }
    };
  }

  private PreparedDevice.FullGpu fullGpu(
      ClaimRef ref, String deviceName, DeviceNames.Parsed.FullGpu parsed, Sharing sharing)
      throws PrepareRefusedException {
    Gpu gpu = gpu(ref, deviceName, parsed.minor());
    if (gpu.migMode().current()) {
      throw refused(ref, "device " + deviceName + " is in MIG mode and cannot be used whole");
    }
    return new PreparedDevice.FullGpu(deviceName, gpu.minor(), gpu.uuid(), sharing);
  }

  private Gpu gpu(ClaimRef ref, String deviceName, int minor) throws PrepareRefusedException {
    for (Gpu gpu : inventory.gpus()) {
      if (gpu.minor() == minor) {
        return gpu;
      }
    }
    throw refused(ref, "device " + deviceName + " does not exist on this node");
  }

  // The policy admits only strategies the node can apply; the others never get here.
  private static Sharing sharing(ClaimRef ref, SharingConfig config)
      throws PrepareRefusedException {
    return switch (config) {
      case SharingConfig.Exclusive e -> new Sharing.Configured(e);
      case SharingConfig.TimeSlicing ts -> new Sharing.Configured(ts);
      case SharingConfig.Mps mps ->
          throw refused(ref, "MPS sharing needs a control daemon, which this node does not run");
    };
  }

  private static List<AllocatedConfig> configs(List<DeviceAllocationConfiguration> raw) {
    List<AllocatedConfig> out = new ArrayList<>();
    for (DeviceAllocationConfiguration c : nullToEmpty(raw)) {
      if (c.getOpaque() == null) {
        continue;
      }
      ConfigSource source = ConfigSource.fromApiName(String.valueOf(c.getSource()));
      Object parameters = c.getOpaque().getParameters();
      String json = parameters == null ? "null" : Serialization.asJson(parameters);
      out.add(
          new AllocatedConfig(
              source, c.getRequests(), String.valueOf(c.getOpaque().getDriver()), json));
    }
    return out;
  }

  static PrepareRefusedException refused(ClaimRef ref, String reason) {
    return new PrepareRefusedException("claim " + ref + ": " + reason);
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static final class Merged {
    final Set<String> requests;
    boolean adminAccess;
    final String shareId;
    final Map<String, io.fabric8.kubernetes.api.model.Quantity> consumed;

    Merged(
        Set<String> requests,
        boolean adminAccess,
        String shareId,
        Map<String, io.fabric8.kubernetes.api.model.Quantity> consumed) {
      this.requests = requests;
      this.adminAccess = adminAccess;
      this.shareId = shareId;
      this.consumed = consumed == null ? Map.of() : Map.copyOf(consumed);
    }

    Merged add(String request, boolean admin) {
      requests.add(request);
      adminAccess &= admin;
      return this;
    }
  }
}
