# 1x NVIDIA A100-SXM4-80GB without MIG (81920 MiB, exactly 80Gi), as in a one-GPU cloud VM: one
# GPU whose memory the fractional-GPU example fills with ten 8Gi shares.
include catalog
driver-version 550.54.15
nvml-version 12.550.54.15
cuda-driver-version 12040

gpu 0
  model a100-sxm4-80gb
  uuid GPU-3f1c9a52-7b0e-4d6a-9c18-5e2a7d40b611
  pci-bus-id 00000000:00:04.0
  pcie-root pci0000:00
  numa-node -1
  minor 0
end
