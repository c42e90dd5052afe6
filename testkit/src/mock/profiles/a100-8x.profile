# 8x NVIDIA A100-SXM4-80GB (DGX A100 layout). GPUs 0-2 in MIG mode with instances, GPU 3 with MIG
# mode pending, GPUs 4-7 without MIG.
# PCI tree: two GPUs per PCIe root complex, four roots: pci0000:00, :40, :80 and :a0 (an AMD EPYC
# host has a root complex per 32 buses); GPUs 0-3 on NUMA node 0, 4-7 on node 1.
include catalog
driver-version 550.54.15
nvml-version 12.550.54.15
cuda-driver-version 12040

gpu 0
  model a100-sxm4-80gb
  uuid GPU-189459c7-825e-1561-f401-e8f11f75c848
  pci-bus-id 00000000:07:00.0
  pcie-root pci0000:00
  numa-node 0
  minor 0
  mig-mode enabled
  mig-pending enabled
  gpu-instance 1 3g.40gb 4
  compute-instance 1 0 3g.40gb 0
  gpu-instance 2 2g.20gb 0
  compute-instance 2 0 2g.20gb 0
  gpu-instance 3 1g.10gb 2
  compute-instance 3 0 1g.10gb 0
  gpu-instance 4 1g.10gb 3
  compute-instance 4 0 1g.10gb 0
end

gpu 1
  model a100-sxm4-80gb
  uuid GPU-d4e79383-4a2f-5220-1978-ae8702a3ff95
  pci-bus-id 00000000:0F:00.0
  pcie-root pci0000:00
  numa-node 0
  minor 1
  mig-mode enabled
  mig-pending enabled
  gpu-instance 1 1g.20gb 0
  compute-instance 1 0 1g.20gb 0
  gpu-instance 2 1g.20gb 2
  compute-instance 2 0 1g.20gb 0
  gpu-instance 3 1g.20gb 4
  compute-instance 3 0 1g.20gb 0
  gpu-instance 4 1g.20gb 6
  compute-instance 4 0 1g.20gb 0
end

gpu 2
  model a100-sxm4-80gb
  uuid GPU-d7833a19-1251-728c-91f1-884cc929e1d3
  pci-bus-id 00000000:47:00.0
  pcie-root pci0000:40
  numa-node 0
  minor 2
  # one GPU instance without a compute instance: MIG capacity in use, no MIG device yet
  mig-mode enabled
  mig-pending enabled
  gpu-instance 0 4g.40gb 0
end

gpu 3
  model a100-sxm4-80gb
  uuid GPU-5a5b4eef-ee9c-40f5-977e-2242f48837be
  pci-bus-id 00000000:4E:00.0
  pcie-root pci0000:40
  numa-node 0
  minor 3
  # MIG enabled by nvidia-smi, waiting for a GPU reset
  mig-mode disabled
  mig-pending enabled
end

gpu 4
  model a100-sxm4-80gb
  uuid GPU-9ad05367-4144-422e-e5a9-b50411e0d8dd
  pci-bus-id 00000000:87:00.0
  pcie-root pci0000:80
  numa-node 1
  minor 4
end

gpu 5
  model a100-sxm4-80gb
  uuid GPU-f782cf1e-067c-b903-12fe-c64233035c1f
  pci-bus-id 00000000:90:00.0
  pcie-root pci0000:80
  numa-node 1
  minor 5
end

gpu 6
  model a100-sxm4-80gb
  uuid GPU-df47c8f0-2678-2561-587c-6f37c6cc4b83
  pci-bus-id 00000000:B7:00.0
  pcie-root pci0000:a0
  numa-node 1
  minor 6
end

gpu 7
  model a100-sxm4-80gb
  uuid GPU-2f7deff5-083c-027c-22e1-d196a138ed74
  pci-bus-id 00000000:BD:00.0
  pcie-root pci0000:a0
  numa-node 1
  minor 7
end
