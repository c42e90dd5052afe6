# Built-in catalog: MIG profile tables and GPU models that node profiles include.
# It declares no GPU, so it is not a node profile on its own.
#
# MIG tables follow NVIDIA's Multi-Instance GPU User Guide ("Supported MIG Profiles": A100-SXM4-80GB
# and H100 80GB tables and placement diagrams). Per row: the NVML_GPU_INSTANCE_PROFILE_* enum index,
# the profile id `nvidia-smi mig -lgip` lists, compute slices, memory in MiB (lgip's GiB x 1024),
# SMs, copy engines, decoders, encoders, JPEG and OFA engines, the instance limit, and the possible
# placements as memory-slice START:SIZE.

mig-table a100-sxm4-80gb
  memory-slices 8
  compute-slices 7
  gi-profile 0 id=19 name=1g.10gb    slices=1 memory-mib=9728  sm=14 ce=1 dec=0 enc=0 jpeg=0 ofa=0 instances=7 placements=0:1,1:1,2:1,3:1,4:1,5:1,6:1
  gi-profile 7 id=20 name=1g.10gb+me slices=1 memory-mib=9728  sm=14 ce=1 dec=1 enc=0 jpeg=1 ofa=1 instances=1 placements=0:1,1:1,2:1,3:1,4:1,5:1,6:1
  gi-profile 9 id=15 name=1g.20gb    slices=1 memory-mib=19968 sm=14 ce=1 dec=1 enc=0 jpeg=0 ofa=0 instances=4 placements=0:2,2:2,4:2,6:2
  gi-profile 1 id=14 name=2g.20gb    slices=2 memory-mib=19968 sm=28 ce=2 dec=1 enc=0 jpeg=0 ofa=0 instances=3 placements=0:2,2:2,4:2
  gi-profile 2 id=9  name=3g.40gb    slices=3 memory-mib=40192 sm=42 ce=3 dec=2 enc=0 jpeg=0 ofa=0 instances=2 placements=0:4,4:4
  gi-profile 3 id=5  name=4g.40gb    slices=4 memory-mib=40192 sm=56 ce=4 dec=2 enc=0 jpeg=0 ofa=0 instances=1 placements=0:4
  gi-profile 4 id=0  name=7g.80gb    slices=7 memory-mib=81152 sm=98 ce=7 dec=5 enc=0 jpeg=1 ofa=1 instances=1 placements=0:8
end

mig-table h100-80gb
  memory-slices 8
  compute-slices 7
  gi-profile 0 id=19 name=1g.10gb    slices=1 memory-mib=9984  sm=16  ce=1 dec=1 enc=0 jpeg=1 ofa=0 instances=7 placements=0:1,1:1,2:1,3:1,4:1,5:1,6:1
  gi-profile 7 id=20 name=1g.10gb+me slices=1 memory-mib=9984  sm=16  ce=1 dec=1 enc=0 jpeg=1 ofa=1 instances=1 placements=0:1,1:1,2:1,3:1,4:1,5:1,6:1
  gi-profile 9 id=15 name=1g.20gb    slices=1 memory-mib=20096 sm=26  ce=1 dec=1 enc=0 jpeg=1 ofa=0 instances=4 placements=0:2,2:2,4:2,6:2
  gi-profile 1 id=14 name=2g.20gb    slices=2 memory-mib=20096 sm=32  ce=2 dec=2 enc=0 jpeg=2 ofa=0 instances=3 placements=0:2,2:2,4:2
  gi-profile 2 id=9  name=3g.40gb    slices=3 memory-mib=40448 sm=60  ce=3 dec=3 enc=0 jpeg=3 ofa=0 instances=2 placements=0:4,4:4
  gi-profile 3 id=5  name=4g.40gb    slices=4 memory-mib=40448 sm=64  ce=4 dec=4 enc=0 jpeg=4 ofa=0 instances=1 placements=0:4
  gi-profile 4 id=0  name=7g.80gb    slices=7 memory-mib=81152 sm=132 ce=8 dec=7 enc=0 jpeg=7 ofa=1 instances=1 placements=0:8
end

model a100-sxm4-80gb
  name NVIDIA A100-SXM4-80GB
  brand NVIDIA
  architecture AMPERE
  compute-capability 8.0
  memory-mib 81920
  reserved-mib 0
  pci-device-id 0x20B210DE
  pci-subsystem-id 0x147F10DE
  mig-table a100-sxm4-80gb
  mig-mode disabled
  mig-pending disabled
end

model h100-80gb-hbm3
  name NVIDIA H100 80GB HBM3
  brand NVIDIA
  architecture HOPPER
  compute-capability 9.0
  memory-mib 81559
  reserved-mib 0
  pci-device-id 0x233010DE
  pci-subsystem-id 0x16C110DE
  mig-table h100-80gb
  mig-mode disabled
  mig-pending disabled
end

model l4
  name NVIDIA L4
  brand NVIDIA
  architecture ADA
  compute-capability 8.9
  memory-mib 23034
  reserved-mib 0
  pci-device-id 0x27B810DE
  pci-subsystem-id 0x16CA10DE
  mig-table none
end
