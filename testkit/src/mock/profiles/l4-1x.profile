# 1x NVIDIA L4 (Ada, no MIG), as in a G2 cloud VM: under the VM's one root complex pci0000:00, and
# numa_node -1 (the kernel knows no NUMA node for it, as in many VMs).
include catalog
driver-version 550.54.15
nvml-version 12.550.54.15
cuda-driver-version 12040

gpu 0
  model l4
  uuid GPU-6b9abd17-a36e-e731-024f-aaf2a9361de9
  pci-bus-id 00000000:00:03.0
  pcie-root pci0000:00
  numa-node -1
  minor 0
end
