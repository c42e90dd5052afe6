# A mixed node: 2x A100-SXM4-80GB, 2x H100 80GB HBM3 and 1x L4. GPU 0 runs one full-size MIG
# instance split into two compute instances; GPU 2 is in MIG mode and empty.
# PCI tree: the A100s share root complex pci0000:00, the H100s pci0000:40 (NUMA node 0), the L4 is
# alone under pci0000:80 (NUMA node 1).
include catalog
driver-version 550.54.15
nvml-version 12.550.54.15
cuda-driver-version 12040

gpu 0
  model a100-sxm4-80gb
  uuid GPU-808cea36-03a5-b320-d674-1b1b9348d98f
  pci-bus-id 00000000:07:00.0
  pcie-root pci0000:00
  numa-node 0
  minor 0
  mig-mode enabled
  mig-pending enabled
  gpu-instance 0 7g.80gb 0
  compute-instance 0 0 4c.7g.80gb 0
  compute-instance 0 1 2c.7g.80gb 4
end

gpu 1
  model a100-sxm4-80gb
  uuid GPU-0d6e375b-10bc-8999-8a97-6973de3fb9ab
  pci-bus-id 00000000:0F:00.0
  pcie-root pci0000:00
  numa-node 0
  minor 1
end

gpu 2
  model h100-80gb-hbm3
  uuid GPU-ed684039-4151-4316-396e-dd91fd21dc3f
  pci-bus-id 00000000:47:00.0
  pcie-root pci0000:40
  numa-node 0
  minor 2
  mig-mode enabled
  mig-pending enabled
end

gpu 3
  model h100-80gb-hbm3
  uuid GPU-54622e34-5687-9458-18a9-7e1ea5db8740
  pci-bus-id 00000000:4E:00.0
  pcie-root pci0000:40
  numa-node 0
  minor 3
end

gpu 4
  model l4
  uuid GPU-a527c14d-e4b3-bf03-7315-89573d4b8b23
  pci-bus-id 00000000:87:00.0
  pcie-root pci0000:80
  numa-node 1
  minor 4
end
