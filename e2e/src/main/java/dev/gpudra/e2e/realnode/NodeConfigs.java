package dev.gpudra.e2e.realnode;

import java.nio.file.Path;

/**
 * The configuration files of a real node's containerd, CNI network and kubelet. Every setting that
 * exists only because of the machines these tests run on (no CAP_SYS_RESOURCE, cgroup v1, no
 * systemd, no iptables) says so next to it; see {@code shared/reference/real-node.md}.
 *
 * <p>Paths seen by the node's processes: {@code /var/lib}, {@code /var/log} and {@code /run} are
 * the node's own directories, bound there in the node's mount namespace ({@link MountNamespace}),
 * so the chart's default host paths ({@code /var/lib/kubelet/...}, {@code /var/run/cdi}) work
 * unchanged and differ per node.
 */
final class NodeConfigs {

  /** Where the node's processes find the CDI specs: the chart's default {@code cdiDir}. */
  static final String CDI_DIR = "/var/run/cdi";

  private NodeConfigs() {}

  /** containerd 2.x, version 3 configuration; every file below {@code state}. */
  static String containerd(Path state, NodeBinaries binaries) {
    return """
        version = 3
        root = "%1$s/containerd/root"
        state = "%1$s/containerd/state"
        [grpc]
          address = "%1$s/containerd.sock"
        [ttrpc]
          address = "%1$s/containerd.sock.ttrpc"
        # NRI would open a socket under the compile-time /var/run/nri; nothing here uses it.
        [plugins.'io.containerd.nri.v1.nri']
          disable = true
        [plugins.'io.containerd.cri.v1.images']
          snapshotter = "overlayfs"
          # Imported offline; kubelets 1.37 have no flag for the sandbox image.
          [plugins.'io.containerd.cri.v1.images'.pinned_images]
            sandbox = "%2$s"
        [plugins.'io.containerd.cri.v1.runtime']
          enable_cdi = true
          cdi_spec_dirs = ["%3$s"]
          # This host grants no CAP_SYS_RESOURCE: runc fails on negative oom_score_adj otherwise.
          restrict_oom_score_adj = true
          # Pod network namespaces stay below the node's state, not in the host's /run/netns.
          netns_mounts_under_state_dir = true
          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            BinaryName = "%4$s"
            # No systemd as PID 1 on the test machines: cgroupfs only.
            SystemdCgroup = false
          [plugins.'io.containerd.cri.v1.runtime'.cni]
            bin_dirs = ["%5$s"]
            conf_dir = "%1$s/cni/net.d"
        """
        .formatted(state, OfflineImages.PAUSE, CDI_DIR, binaries.runc(), binaries.cniBinDir());
  }

  /**
   * A bridge network of the node's own ({@code bridge} names the host interface, {@code subnet} a
   * /24 no other node uses), host-local addresses kept below the node's state. The pods' default
   * route is the bridge, so they reach the API server's Service address on the host.
   */
  static String cni(Path state, String bridge, String subnet) {
    return """
        {"cniVersion": "1.0.0", "name": "gpudra-%2$s", "plugins": [
          {"type": "bridge", "bridge": "%2$s", "isGateway": true, "isDefaultGateway": true,
           "ipMasq": false,
           "ipam": {"type": "host-local", "dataDir": "%1$s/cni/ipam",
                    "ranges": [[{"subnet": "%3$s"}]]}},
          {"type": "loopback"}]}
        """
        .formatted(state, bridge, subnet);
  }

  /**
   * The kubelet's configuration: serving on {@code address:port} (the node's InternalIP, where the
   * API server reaches it for logs and exec), talking to the node's containerd.
   */
  static String kubelet(Path state, String address, int port) {
    return """
        apiVersion: kubelet.config.k8s.io/v1beta1
        kind: KubeletConfiguration
        # The test machines run cgroup v1 (hybrid); kubelets 1.35+ refuse it unless told.
        failCgroupV1: false
        cgroupDriver: cgroupfs
        # No QoS hierarchy (it needs controllers this host's cgroup v1 setup lacks); containerd
        # places containers below /k8s.io, ContainerCgroups removes them.
        cgroupsPerQOS: false
        enforceNodeAllocatable: []
        failSwapOn: false
        # No iptables on the test machines.
        makeIPTablesUtilChains: false
        # The kubelet rewrites kernel.panic, vm.overcommit_memory etc. (true would refuse to start
        # on this host's values instead); HostSysctls restores them when the nodes stop.
        protectKernelDefaults: false
        containerRuntimeEndpoint: unix://%1$s/containerd.sock
        imageServiceEndpoint: unix://%1$s/containerd.sock
        address: %2$s
        port: %3$d
        healthzPort: 0
        readOnlyPort: 0
        podLogsDir: /var/log/pods
        volumePluginDir: %1$s/volume-plugins
        # The test API server presents no kubelet client certificate.
        authentication:
          anonymous:
            enabled: true
          webhook:
            enabled: false
        authorization:
          mode: AlwaysAllow
        """
        .formatted(state, address, port);
  }
}
