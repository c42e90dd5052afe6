/*
 * MIG mode and GPU instances: profile tables, possible placements, remaining capacity, creation,
 * destruction and lookup. Profile information and placements are served whatever the MIG mode
 * (as Hopper drivers do, so callers can plan); everything about instances needs MIG enabled.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

/* The full-GPU handle of a MIG-capable GPU, or the error NVML gives for this device. */
static nvmlReturn_t mig_gpu(nvmlDevice_t device, const mock_mig_table **table, int need_enabled) {
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  const mock_gpu *gpu = mock_gpu_of(device);
  *table = mock_table_of(gpu);
  if (*table == NULL) return NVML_ERROR_NOT_SUPPORTED;
  if (need_enabled && gpu->mig_current != NVML_DEVICE_MIG_ENABLE) return NVML_ERROR_NOT_SUPPORTED;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode) {
  MOCK_ENTER();
  const mock_mig_table *table;
  nvmlReturn_t rc = mig_gpu(device, &table, 0);
  if (rc != NVML_SUCCESS) return rc;
  if (currentMode == NULL || pendingMode == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *currentMode = mock_gpu_of(device)->mig_current;
  *pendingMode = mock_gpu_of(device)->mig_pending;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device, unsigned int *isMigDevice) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (isMigDevice == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *isMigDevice = device->is_mig ? 1 : 0;
  return NVML_SUCCESS;
}

static nvmlReturn_t profile_by_enum(nvmlDevice_t device, unsigned profile, const mock_gi_profile **out) {
  const mock_mig_table *table;
  nvmlReturn_t rc = mig_gpu(device, &table, 0);
  if (rc != NVML_SUCCESS) return rc;
  if (profile >= NVML_GPU_INSTANCE_PROFILE_COUNT) return NVML_ERROR_INVALID_ARGUMENT;
  if (!table->profiles[profile].defined) return NVML_ERROR_NOT_SUPPORTED;
  *out = &table->profiles[profile];
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfo(nvmlDevice_t device, unsigned int profile,
                                                             nvmlGpuInstanceProfileInfo_t *info) {
  MOCK_ENTER();
  const mock_gi_profile *p;
  nvmlReturn_t rc = profile_by_enum(device, profile, &p);
  if (rc != NVML_SUCCESS) return rc;
  if (info == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *info = (nvmlGpuInstanceProfileInfo_t){p->id, 0, p->slices, p->instances, p->sm, p->ce, p->dec, p->enc, p->jpeg, p->ofa,
                                         p->memory_mib};
  return NVML_SUCCESS;
}

/* Serves v2 and v3 structures, told apart by their version field; the name is "MIG <profile>". */
MOCK_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfoV(nvmlDevice_t device, unsigned int profile,
                                                              nvmlGpuInstanceProfileInfo_v2_t *info) {
  MOCK_ENTER();
  const mock_gi_profile *p;
  nvmlReturn_t rc = profile_by_enum(device, profile, &p);
  if (rc != NVML_SUCCESS) return rc;
  if (info == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (info->version == nvmlGpuInstanceProfileInfo_v2) {
    nvmlGpuInstanceProfileInfo_v2_t *v2 = info;
    memset(v2, 0, sizeof *v2);
    *v2 = (nvmlGpuInstanceProfileInfo_v2_t){nvmlGpuInstanceProfileInfo_v2, p->id, 0, p->slices, p->instances, p->sm,
                                            p->ce, p->dec, p->enc, p->jpeg, p->ofa, p->memory_mib, {0}};
    mock_copy_string(v2->name, sizeof v2->name, "MIG ");
    strncat(v2->name, p->name, sizeof v2->name - strlen(v2->name) - 1);
    return NVML_SUCCESS;
  }
  if (info->version == nvmlGpuInstanceProfileInfo_v3) {
    nvmlGpuInstanceProfileInfo_v3_t *v3 = (nvmlGpuInstanceProfileInfo_v3_t *)info;
    memset(v3, 0, sizeof *v3);
    *v3 = (nvmlGpuInstanceProfileInfo_v3_t){nvmlGpuInstanceProfileInfo_v3, p->id, p->slices, p->instances, p->sm,
                                            p->ce, p->dec, p->enc, p->jpeg, p->ofa, p->memory_mib, {0}, 0};
    mock_copy_string(v3->name, sizeof v3->name, "MIG ");
    strncat(v3->name, p->name, sizeof v3->name - strlen(v3->name) - 1);
    return NVML_SUCCESS;
  }
  return NVML_ERROR_INVALID_ARGUMENT;
}

/* Creation and the queries below take the profile's id (as nvidia-smi lists it), not its enum index. */
static nvmlReturn_t profile_by_id(nvmlDevice_t device, unsigned id, int need_enabled, const mock_mig_table **table,
                                  unsigned *index) {
  nvmlReturn_t rc = mig_gpu(device, table, need_enabled);
  if (rc != NVML_SUCCESS) return rc;
  int found = mock_table_profile_by_id(*table, id);
  if (found < 0) return NVML_ERROR_INVALID_ARGUMENT;
  *index = (unsigned)found;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements_v2(nvmlDevice_t device, unsigned int profileId,
                                                                       nvmlGpuInstancePlacement_t *placements,
                                                                       unsigned int *count) {
  MOCK_ENTER();
  const mock_mig_table *table;
  unsigned index;
  nvmlReturn_t rc = profile_by_id(device, profileId, 0, &table, &index);
  if (rc != NVML_SUCCESS) return rc;
  if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  const mock_gi_profile *p = &table->profiles[index];
  if (placements == NULL) {
    *count = p->placement_count;
    return NVML_SUCCESS;
  }
  if (*count < p->placement_count) {
    *count = p->placement_count;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (unsigned i = 0; i < p->placement_count; i++) {
    placements[i] = (nvmlGpuInstancePlacement_t){p->placements[i].start, p->placements[i].size};
  }
  *count = p->placement_count;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceRemainingCapacity(nvmlDevice_t device, unsigned int profileId,
                                                                   unsigned int *count) {
  MOCK_ENTER();
  const mock_mig_table *table;
  unsigned index;
  nvmlReturn_t rc = profile_by_id(device, profileId, 1, &table, &index);
  if (rc != NVML_SUCCESS) return rc;
  if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  rc = mock_state_read(state);
  if (rc == NVML_SUCCESS) *count = mock_gi_remaining(table, state, device->gpu, index);
  free(state);
  return rc;
}

typedef struct {
  const mock_mig_table *table;
  unsigned gpu, index;
  const nvmlGpuInstancePlacement_t *placement; /* NULL: first free placement */
  unsigned id;                                 /* out */
} create_gi;

static nvmlReturn_t do_create_gi(mock_state *state, void *context) {
  create_gi *c = context;
  const mock_gi_profile *p = &c->table->profiles[c->index];
  mock_span chosen = {0, 0};
  if (c->placement != NULL) {
    for (unsigned k = 0; k < p->placement_count; k++) {
      if (p->placements[k].start == c->placement->start && p->placements[k].size == c->placement->size)
        chosen = p->placements[k];
    }
    if (chosen.size == 0) return NVML_ERROR_INVALID_ARGUMENT;
    if (mock_gi_remaining(c->table, state, c->gpu, c->index) == 0 ||
        !mock_gi_placement_free(c->table, state, c->gpu, c->index, chosen))
      return NVML_ERROR_INSUFFICIENT_RESOURCES;
  } else {
    if (mock_gi_remaining(c->table, state, c->gpu, c->index) == 0) return NVML_ERROR_INSUFFICIENT_RESOURCES;
    for (unsigned k = 0; k < p->placement_count && chosen.size == 0; k++) {
      if (mock_gi_placement_free(c->table, state, c->gpu, c->index, p->placements[k])) chosen = p->placements[k];
    }
    if (chosen.size == 0) return NVML_ERROR_INSUFFICIENT_RESOURCES;
  }
  /* Like the driver, the smallest free id. */
  unsigned id = 0;
  while (id < MOCK_MAX_GI && state->gi[c->gpu][id].used) id++;
  if (id == MOCK_MAX_GI) return NVML_ERROR_INSUFFICIENT_RESOURCES;
  state->gi[c->gpu][id] = (mock_instance){1, c->index, chosen.start, chosen.size, state->next_serial++};
  c->id = id;
  return NVML_SUCCESS;
}

static nvmlReturn_t create(nvmlDevice_t device, unsigned profileId, const nvmlGpuInstancePlacement_t *placement,
                           nvmlGpuInstance_t *gpuInstance) {
  create_gi c = {.placement = placement};
  nvmlReturn_t rc = profile_by_id(device, profileId, 1, &c.table, &c.index);
  if (rc != NVML_SUCCESS) return rc;
  if (gpuInstance == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  c.gpu = device->gpu;
  if ((rc = mock_state_update(do_create_gi, &c)) != NVML_SUCCESS) return rc;
  *gpuInstance = mock_gi_handle(c.gpu, c.id);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceCreateGpuInstance(nvmlDevice_t device, unsigned int profileId,
                                                     nvmlGpuInstance_t *gpuInstance) {
  MOCK_ENTER();
  return create(device, profileId, NULL, gpuInstance);
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceCreateGpuInstanceWithPlacement(nvmlDevice_t device, unsigned int profileId,
                                                                  const nvmlGpuInstancePlacement_t *placement,
                                                                  nvmlGpuInstance_t *gpuInstance) {
  MOCK_ENTER();
  if (placement == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  return create(device, profileId, placement, gpuInstance);
}

typedef struct {
  unsigned gpu, gi;
} instance_ref;

static nvmlReturn_t do_destroy_gi(mock_state *state, void *context) {
  const instance_ref *r = context;
  if (!state->gi[r->gpu][r->gi].used) return NVML_ERROR_INVALID_ARGUMENT;
  for (unsigned c = 0; c < MOCK_MAX_CI; c++) {
    if (state->ci[r->gpu][r->gi][c].used) return NVML_ERROR_IN_USE;
  }
  memset(&state->gi[r->gpu][r->gi], 0, sizeof state->gi[r->gpu][r->gi]);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceDestroy(nvmlGpuInstance_t gpuInstance) {
  MOCK_ENTER();
  if (!mock_is_gi(gpuInstance)) return NVML_ERROR_INVALID_ARGUMENT;
  if (mock_gpu_lost(gpuInstance->gpu)) return NVML_ERROR_GPU_IS_LOST;
  instance_ref r = {gpuInstance->gpu, gpuInstance->gi};
  return mock_state_update(do_destroy_gi, &r);
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstances(nvmlDevice_t device, unsigned int profileId,
                                                   nvmlGpuInstance_t *gpuInstances, unsigned int *count) {
  MOCK_ENTER();
  const mock_mig_table *table;
  unsigned index;
  nvmlReturn_t rc = profile_by_id(device, profileId, 1, &table, &index);
  if (rc != NVML_SUCCESS) return rc;
  if (gpuInstances == NULL || count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  rc = mock_state_read(state);
  if (rc == NVML_SUCCESS) {
    /* The caller sizes the buffer by the profile's instance count, as NVML documents. */
    unsigned n = 0;
    for (unsigned i = 0; i < MOCK_MAX_GI; i++) {
      if (state->gi[device->gpu][i].used && state->gi[device->gpu][i].profile_index == index)
        gpuInstances[n++] = mock_gi_handle(device->gpu, i);
    }
    *count = n;
  }
  free(state);
  return rc;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceById(nvmlDevice_t device, unsigned int id,
                                                      nvmlGpuInstance_t *gpuInstance) {
  MOCK_ENTER();
  const mock_mig_table *table;
  nvmlReturn_t rc = mig_gpu(device, &table, 1);
  if (rc != NVML_SUCCESS) return rc;
  if (gpuInstance == NULL || id >= MOCK_MAX_GI) return NVML_ERROR_INVALID_ARGUMENT;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  rc = mock_state_read(state);
  if (rc == NVML_SUCCESS) {
    if (state->gi[device->gpu][id].used) {
      *gpuInstance = mock_gi_handle(device->gpu, id);
    } else {
      rc = NVML_ERROR_NOT_FOUND;
    }
  }
  free(state);
  return rc;
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceGetInfo(nvmlGpuInstance_t gpuInstance, nvmlGpuInstanceInfo_t *info) {
  MOCK_ENTER();
  if (!mock_is_gi(gpuInstance) || info == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (mock_gpu_lost(gpuInstance->gpu)) return NVML_ERROR_GPU_IS_LOST;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  nvmlReturn_t rc = mock_state_read(state);
  if (rc == NVML_SUCCESS) {
    const mock_instance *gi = &state->gi[gpuInstance->gpu][gpuInstance->gi];
    if (!gi->used) {
      rc = NVML_ERROR_INVALID_ARGUMENT;
    } else {
      const mock_mig_table *table = mock_table_of(&mock_g_node->gpus[gpuInstance->gpu]);
      info->device = mock_gpu_handle(gpuInstance->gpu);
      info->id = gpuInstance->gi;
      info->profileId = table->profiles[gi->profile_index].id;
      info->placement = (nvmlGpuInstancePlacement_t){gi->start, gi->size};
    }
  }
  free(state);
  return rc;
}
