/*
 * Prints the size of every NVML structure the JNA binding maps, and the offset of each field,
 * as the C compiler lays them out from nvml.h. NvmlStructLayoutIT compares them with JNA's.
 * Output lines: "<struct> <field> <offset>", "<struct> sizeof <size>" and, for versioned
 * structures, "<struct> versionword <value>".
 */
#include <stddef.h>
#include <stdio.h>

#include "nvml.h"

#define SIZE(T) printf("%s sizeof %zu\n", #T, sizeof(T))
#define FIELD(T, f) printf("%s %s %zu\n", #T, #f, offsetof(T, f))

int main(void) {
  SIZE(nvmlMemory_t);
  FIELD(nvmlMemory_t, total);
  FIELD(nvmlMemory_t, free);
  FIELD(nvmlMemory_t, used);

  SIZE(nvmlPciInfo_t);
  FIELD(nvmlPciInfo_t, busIdLegacy);
  FIELD(nvmlPciInfo_t, domain);
  FIELD(nvmlPciInfo_t, bus);
  FIELD(nvmlPciInfo_t, device);
  FIELD(nvmlPciInfo_t, pciDeviceId);
  FIELD(nvmlPciInfo_t, pciSubSystemId);
  FIELD(nvmlPciInfo_t, busId);

  SIZE(nvmlGpuInstancePlacement_t);
  FIELD(nvmlGpuInstancePlacement_t, start);
  FIELD(nvmlGpuInstancePlacement_t, size);

  SIZE(nvmlGpuInstanceProfileInfo_v2_t);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, version);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, id);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, isP2pSupported);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, sliceCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, instanceCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, multiprocessorCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, copyEngineCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, decoderCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, encoderCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, jpegCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, ofaCount);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, memorySizeMB);
  FIELD(nvmlGpuInstanceProfileInfo_v2_t, name);
  printf("nvmlGpuInstanceProfileInfo_v2_t versionword %u\n", nvmlGpuInstanceProfileInfo_v2);

  SIZE(nvmlGpuInstanceInfo_t);
  FIELD(nvmlGpuInstanceInfo_t, device);
  FIELD(nvmlGpuInstanceInfo_t, id);
  FIELD(nvmlGpuInstanceInfo_t, profileId);
  FIELD(nvmlGpuInstanceInfo_t, placement);

  SIZE(nvmlComputeInstancePlacement_t);
  FIELD(nvmlComputeInstancePlacement_t, start);
  FIELD(nvmlComputeInstancePlacement_t, size);

  SIZE(nvmlComputeInstanceProfileInfo_v2_t);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, version);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, id);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, sliceCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, instanceCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, multiprocessorCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, sharedCopyEngineCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, sharedDecoderCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, sharedEncoderCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, sharedJpegCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, sharedOfaCount);
  FIELD(nvmlComputeInstanceProfileInfo_v2_t, name);
  printf("nvmlComputeInstanceProfileInfo_v2_t versionword %u\n", nvmlComputeInstanceProfileInfo_v2);

  SIZE(nvmlComputeInstanceInfo_t);
  FIELD(nvmlComputeInstanceInfo_t, device);
  FIELD(nvmlComputeInstanceInfo_t, gpuInstance);
  FIELD(nvmlComputeInstanceInfo_t, id);
  FIELD(nvmlComputeInstanceInfo_t, profileId);
  FIELD(nvmlComputeInstanceInfo_t, placement);

  SIZE(nvmlEventData_t);
  FIELD(nvmlEventData_t, device);
  FIELD(nvmlEventData_t, eventType);
  FIELD(nvmlEventData_t, eventData);
  FIELD(nvmlEventData_t, gpuInstanceId);
  FIELD(nvmlEventData_t, computeInstanceId);
  return 0;
}
