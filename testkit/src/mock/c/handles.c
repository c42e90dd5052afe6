/*
 * Opaque NVML handles. Each handle is the address of a fixed slot, so the same GPU, instance or MIG
 * device always yields the same handle (NVML callers compare handles), and a handle that did not
 * come from this library is rejected by a range check instead of being dereferenced.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mock.h"

static struct nvmlDevice_st g_gpus[MOCK_MAX_GPUS];
static struct nvmlDevice_st g_migs[MOCK_MAX_GPUS][MOCK_MAX_GI][MOCK_MAX_CI];
static struct nvmlGpuInstance_st g_gis[MOCK_MAX_GPUS][MOCK_MAX_GI];
static struct nvmlComputeInstance_st g_cis[MOCK_MAX_GPUS][MOCK_MAX_GI][MOCK_MAX_CI];

static int in_table(const void *handle, const void *first, size_t count, size_t size) {
  uintptr_t h = (uintptr_t)handle, base = (uintptr_t)first;
  return h >= base && h < base + count * size && (h - base) % size == 0;
}

nvmlDevice_t mock_gpu_handle(unsigned gpu) {
  g_gpus[gpu] = (struct nvmlDevice_st){gpu, 0, 0, 0};
  return &g_gpus[gpu];
}

nvmlDevice_t mock_mig_handle(unsigned gpu, unsigned gi, unsigned ci) {
  g_migs[gpu][gi][ci] = (struct nvmlDevice_st){gpu, 1, gi, ci};
  return &g_migs[gpu][gi][ci];
}

nvmlGpuInstance_t mock_gi_handle(unsigned gpu, unsigned gi) {
  g_gis[gpu][gi] = (struct nvmlGpuInstance_st){gpu, gi};
  return &g_gis[gpu][gi];
}

nvmlComputeInstance_t mock_ci_handle(unsigned gpu, unsigned gi, unsigned ci) {
  g_cis[gpu][gi][ci] = (struct nvmlComputeInstance_st){gpu, gi, ci};
  return &g_cis[gpu][gi][ci];
}

/* A slot counts only once it was handed out (filled) and while its GPU exists in the profile. */
int mock_is_device(nvmlDevice_t device) {
  if (device == NULL || mock_g_node == NULL) return 0;
  int gpu_slot = in_table(device, g_gpus, MOCK_MAX_GPUS, sizeof g_gpus[0]);
  int mig_slot = in_table(device, g_migs, (size_t)MOCK_MAX_GPUS * MOCK_MAX_GI * MOCK_MAX_CI, sizeof g_migs[0][0][0]);
  if (!gpu_slot && !mig_slot) return 0;
  if (mig_slot && !device->is_mig) return 0;
  if (gpu_slot && device != &g_gpus[device->gpu]) return 0;
  return device->gpu < mock_g_node->gpu_count;
}

int mock_is_gi(nvmlGpuInstance_t gi) {
  if (gi == NULL || mock_g_node == NULL) return 0;
  if (!in_table(gi, g_gis, (size_t)MOCK_MAX_GPUS * MOCK_MAX_GI, sizeof g_gis[0][0])) return 0;
  return gi == &g_gis[gi->gpu][gi->gi] && gi->gpu < mock_g_node->gpu_count;
}

int mock_is_ci(nvmlComputeInstance_t ci) {
  if (ci == NULL || mock_g_node == NULL) return 0;
  if (!in_table(ci, g_cis, (size_t)MOCK_MAX_GPUS * MOCK_MAX_GI * MOCK_MAX_CI, sizeof g_cis[0][0][0])) return 0;
  return ci == &g_cis[ci->gpu][ci->gi][ci->ci] && ci->gpu < mock_g_node->gpu_count;
}

const mock_gpu *mock_gpu_of(nvmlDevice_t device) { return &mock_g_node->gpus[device->gpu]; }

const mock_mig_table *mock_table_of(const mock_gpu *gpu) {
  return gpu->mig_table < 0 ? NULL : &mock_g_node->tables[gpu->mig_table];
}

nvmlReturn_t mock_check_device(nvmlDevice_t device) {
  if (!mock_is_device(device)) return NVML_ERROR_INVALID_ARGUMENT;
  if (mock_gpu_lost(device->gpu)) return NVML_ERROR_GPU_IS_LOST;
  if (!device->is_mig) return NVML_SUCCESS;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  nvmlReturn_t rc = mock_state_read(state);
  if (rc == NVML_SUCCESS && !state->ci[device->gpu][device->gi][device->ci].used) rc = NVML_ERROR_INVALID_ARGUMENT;
  free(state);
  return rc;
}
