# 8x NVIDIA H100 80GB HBM3 (DGX H100 layout). GPUs 0-5 without MIG, GPU 6 in MIG mode and empty,
# GPU 7 in MIG mode with two instances.
# PCI tree: every GPU under a PCIe root complex of its own (an Intel Xeon host makes each PCIe stack a
# host bridge of its own), so no two GPUs share a root; GPUs 0-3 on NUMA node 0, 4-7 on 1.
include catalog
driver-version 550.54.15
nvml-version 12.550.54.15
cuda-driver-version 12040

gpu 0
  model h100-80gb-hbm3
  uuid GPU-d53a7a95-51fd-9759-3a36-92b1544539a2
  pci-bus-id 00000000:18:00.0
  pcie-root pci0000:15
  numa-node 0
  minor 0
end

gpu 1
  model h100-80gb-hbm3
  uuid GPU-e43326a9-6fad-48df-790a-5627278bd0bf
  pci-bus-id 00000000:2A:00.0
  pcie-root pci0000:26
  numa-node 0
  minor 1
end

gpu 2
  model h100-80gb-hbm3
  uuid GPU-a3c56704-24a2-22e4-d407-85433bc1cb74
  pci-bus-id 00000000:3A:00.0
  pcie-root pci0000:37
  numa-node 0
  minor 2
end

gpu 3
  model h100-80gb-hbm3
  uuid GPU-c5edef93-0c31-451f-34f8-ebf76113b42f
  pci-bus-id 00000000:5D:00.0
  pcie-root pci0000:59
  numa-node 0
  minor 3
end

gpu 4
  model h100-80gb-hbm3
  uuid GPU-0b51a42c-2e59-ebea-ff44-1eb1b922c765
  pci-bus-id 00000000:9A:00.0
  pcie-root pci0000:97
  numa-node 1
  minor 4
end

gpu 5
  model h100-80gb-hbm3
  uuid GPU-62850de6-1408-1d7f-afc7-9643d4729f6e
  pci-bus-id 00000000:AB:00.0
  pcie-root pci0000:a8
  numa-node 1
  minor 5
end

gpu 6
  model h100-80gb-hbm3
  uuid GPU-92438714-76a1-a1f0-813e-5799bc7191ed
  pci-bus-id 00000000:BA:00.0
  pcie-root pci0000:b9
  numa-node 1
  minor 6
  mig-mode enabled
  mig-pending enabled
end

gpu 7
  model h100-80gb-hbm3
  uuid GPU-59a286d2-24dc-f76a-afc8-80748500c6d6
  pci-bus-id 00000000:DB:00.0
  pcie-root pci0000:d7
  numa-node 1
  minor 7
  mig-mode enabled
  mig-pending enabled
  gpu-instance 1 3g.40gb 0
  compute-instance 1 0 3g.40gb 0
  gpu-instance 2 1g.10gb+me 4
  compute-instance 2 0 1g.10gb+me 0
end
