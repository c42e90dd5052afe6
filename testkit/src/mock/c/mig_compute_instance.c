/*
 * Compute instances inside a GPU instance: profiles, placements, capacity, creation, destruction
 * and lookup. Compute-instance profile ids are their NVML_COMPUTE_INSTANCE_PROFILE_* values, as the
 * driver reports them.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

/* Validates a GPU-instance handle against a fresh state snapshot. */
static nvmlReturn_t resolve_gi(nvmlGpuInstance_t handle, mock_state *state, const mock_gi_profile **profile) {
  if (!mock_is_gi(handle)) return NVML_ERROR_INVALID_ARGUMENT;
  if (mock_gpu_lost(handle->gpu)) return NVML_ERROR_GPU_IS_LOST;
  nvmlReturn_t rc = mock_state_read(state);
  if (rc != NVML_SUCCESS) return rc;
  const mock_instance *gi = &state->gi[handle->gpu][handle->gi];
  if (!gi->used) return NVML_ERROR_INVALID_ARGUMENT;
  *profile = &mock_table_of(&mock_g_node->gpus[handle->gpu])->profiles[gi->profile_index];
  return NVML_SUCCESS;
}

/* Runs body with a snapshot; frees it on every path. */
#define WITH_GI(handle, state, profile, ...)                                                                        \
  do {                                                                                                              \
    mock_state *state = malloc(sizeof *state);                                                                      \
    if (state == NULL) return NVML_ERROR_MEMORY;                                                                    \
    const mock_gi_profile *profile = NULL;                                                                          \
    nvmlReturn_t with_rc_ = resolve_gi(handle, state, &profile);                                                    \
    if (with_rc_ == NVML_SUCCESS) {                                                                                 \
      __VA_ARGS__                                                                                                   \
    }                                                                                                               \
    free(state);                                                                                                    \
    return with_rc_;                                                                                                \
  } while (0)

static nvmlReturn_t check_profile(const mock_gi_profile *gi, unsigned profile, unsigned engProfile) {
  if (profile >= NVML_COMPUTE_INSTANCE_PROFILE_COUNT || engProfile >= NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_COUNT)
    return NVML_ERROR_INVALID_ARGUMENT;
  return mock_ci_profile_valid(gi, profile) ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfo(nvmlGpuInstance_t gpuInstance, unsigned int profile,
                                                                      unsigned int engProfile,
                                                                      nvmlComputeInstanceProfileInfo_t *info) {
  MOCK_ENTER();
  if (info == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  WITH_GI(gpuInstance, state, gi, {
    with_rc_ = check_profile(gi, profile, engProfile);
    if (with_rc_ == NVML_SUCCESS) {
      nvmlComputeInstanceProfileInfo_v2_t v2;
      mock_ci_profile_info(gi, profile, &v2);
      *info = (nvmlComputeInstanceProfileInfo_t){v2.id, v2.sliceCount, v2.instanceCount, v2.multiprocessorCount,
                                                 v2.sharedCopyEngineCount, v2.sharedDecoderCount, v2.sharedEncoderCount,
                                                 v2.sharedJpegCount, v2.sharedOfaCount};
    }
  });
}

/* v2 and v3 structures, told apart by their version field. */
MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfoV(nvmlGpuInstance_t gpuInstance, unsigned int profile,
                                                                       unsigned int engProfile,
                                                                       nvmlComputeInstanceProfileInfo_v2_t *info) {
  MOCK_ENTER();
  if (info == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (info->version != nvmlComputeInstanceProfileInfo_v2 && info->version != nvmlComputeInstanceProfileInfo_v3)
    return NVML_ERROR_INVALID_ARGUMENT;
  WITH_GI(gpuInstance, state, gi, {
    with_rc_ = check_profile(gi, profile, engProfile);
    if (with_rc_ == NVML_SUCCESS) {
      nvmlComputeInstanceProfileInfo_v2_t v2;
      mock_ci_profile_info(gi, profile, &v2);
      if (info->version == nvmlComputeInstanceProfileInfo_v2) {
        *info = v2;
      } else {
        nvmlComputeInstanceProfileInfo_v3_t *v3 = (nvmlComputeInstanceProfileInfo_v3_t *)info;
        memset(v3, 0, sizeof *v3);
        memcpy(v3, &v2, sizeof v2);
        v3->version = nvmlComputeInstanceProfileInfo_v3;
      }
    }
  });
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceGetComputeInstanceRemainingCapacity(nvmlGpuInstance_t gpuInstance,
                                                                            unsigned int profileId, unsigned int *count) {
  MOCK_ENTER();
  if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  WITH_GI(gpuInstance, state, gi, {
    with_rc_ = check_profile(gi, profileId, 0);
    if (with_rc_ == NVML_SUCCESS) *count = mock_ci_remaining(gi, state, gpuInstance->gpu, gpuInstance->gi, profileId);
  });
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceGetComputeInstancePossiblePlacements(nvmlGpuInstance_t gpuInstance,
                                                                             unsigned int profileId,
                                                                             nvmlComputeInstancePlacement_t *placements,
                                                                             unsigned int *count) {
  MOCK_ENTER();
  if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  WITH_GI(gpuInstance, state, gi, {
    with_rc_ = check_profile(gi, profileId, 0);
    if (with_rc_ == NVML_SUCCESS) {
      unsigned c = mock_ci_enum_slices[profileId], n = gi->slices / c;
      if (placements == NULL) {
        *count = n;
      } else if (*count < n) {
        *count = n;
        with_rc_ = NVML_ERROR_INSUFFICIENT_SIZE;
      } else {
        for (unsigned i = 0; i < n; i++) placements[i] = (nvmlComputeInstancePlacement_t){i * c, c};
        *count = n;
      }
    }
  });
}

typedef struct {
  unsigned gpu, gi, profile;
  const nvmlComputeInstancePlacement_t *placement;
  unsigned id; /* out */
} create_ci;

static nvmlReturn_t do_create_ci(mock_state *state, void *context) {
  create_ci *c = context;
  if (!state->gi[c->gpu][c->gi].used) return NVML_ERROR_INVALID_ARGUMENT;
  const mock_gi_profile *gi = &mock_table_of(&mock_g_node->gpus[c->gpu])->profiles[state->gi[c->gpu][c->gi].profile_index];
  unsigned size = mock_ci_enum_slices[c->profile];
  mock_span span;
  if (c->placement != NULL) {
    if (c->placement->size != size || c->placement->start % size != 0 || c->placement->start + size > gi->slices)
      return NVML_ERROR_INVALID_ARGUMENT;
    span = (mock_span){c->placement->start, size};
    for (unsigned i = 0; i < MOCK_MAX_CI; i++) {
      const mock_instance *o = &state->ci[c->gpu][c->gi][i];
      if (o->used && mock_span_overlaps(span, (mock_span){o->start, o->size})) return NVML_ERROR_INSUFFICIENT_RESOURCES;
    }
  } else if (!mock_ci_first_free(gi, state, c->gpu, c->gi, c->profile, &span)) {
    return NVML_ERROR_INSUFFICIENT_RESOURCES;
  }
  unsigned id = 0;
  while (id < MOCK_MAX_CI && state->ci[c->gpu][c->gi][id].used) id++;
  if (id == MOCK_MAX_CI) return NVML_ERROR_INSUFFICIENT_RESOURCES;
  state->ci[c->gpu][c->gi][id] = (mock_instance){1, c->profile, span.start, span.size, state->next_serial++};
  c->id = id;
  return NVML_SUCCESS;
}

static nvmlReturn_t create(nvmlGpuInstance_t gpuInstance, unsigned profileId,
                           const nvmlComputeInstancePlacement_t *placement, nvmlComputeInstance_t *computeInstance) {
  if (computeInstance == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  const mock_gi_profile *gi = NULL;
  nvmlReturn_t rc = resolve_gi(gpuInstance, state, &gi);
  free(state);
  if (rc == NVML_SUCCESS) rc = check_profile(gi, profileId, 0);
  if (rc != NVML_SUCCESS) return rc;
  create_ci c = {gpuInstance->gpu, gpuInstance->gi, profileId, placement, 0};
  if ((rc = mock_state_update(do_create_ci, &c)) != NVML_SUCCESS) return rc;
  *computeInstance = mock_ci_handle(c.gpu, c.gi, c.id);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceCreateComputeInstance(nvmlGpuInstance_t gpuInstance, unsigned int profileId,
                                                              nvmlComputeInstance_t *computeInstance) {
  MOCK_ENTER();
  return create(gpuInstance, profileId, NULL, computeInstance);
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceCreateComputeInstanceWithPlacement(
    nvmlGpuInstance_t gpuInstance, unsigned int profileId, const nvmlComputeInstancePlacement_t *placement,
    nvmlComputeInstance_t *computeInstance) {
  MOCK_ENTER();
  if (placement == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  return create(gpuInstance, profileId, placement, computeInstance);
}

typedef struct {
  unsigned gpu, gi, ci;
} ci_ref;

static nvmlReturn_t do_destroy_ci(mock_state *state, void *context) {
  const ci_ref *r = context;
  if (!state->gi[r->gpu][r->gi].used || !state->ci[r->gpu][r->gi][r->ci].used) return NVML_ERROR_INVALID_ARGUMENT;
  memset(&state->ci[r->gpu][r->gi][r->ci], 0, sizeof state->ci[r->gpu][r->gi][r->ci]);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlComputeInstanceDestroy(nvmlComputeInstance_t computeInstance) {
  MOCK_ENTER();
  if (!mock_is_ci(computeInstance)) return NVML_ERROR_INVALID_ARGUMENT;
  if (mock_gpu_lost(computeInstance->gpu)) return NVML_ERROR_GPU_IS_LOST;
  ci_ref r = {computeInstance->gpu, computeInstance->gi, computeInstance->ci};
  return mock_state_update(do_destroy_ci, &r);
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceGetComputeInstances(nvmlGpuInstance_t gpuInstance, unsigned int profileId,
                                                            nvmlComputeInstance_t *computeInstances, unsigned int *count) {
  MOCK_ENTER();
  if (computeInstances == NULL || count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  WITH_GI(gpuInstance, state, gi, {
    with_rc_ = check_profile(gi, profileId, 0);
    if (with_rc_ == NVML_SUCCESS) {
      unsigned n = 0;
      for (unsigned c = 0; c < MOCK_MAX_CI; c++) {
        const mock_instance *ci = &state->ci[gpuInstance->gpu][gpuInstance->gi][c];
        if (ci->used && ci->profile_index == profileId)
          computeInstances[n++] = mock_ci_handle(gpuInstance->gpu, gpuInstance->gi, c);
      }
      *count = n;
    }
  });
}

MOCK_EXPORT nvmlReturn_t nvmlGpuInstanceGetComputeInstanceById(nvmlGpuInstance_t gpuInstance, unsigned int id,
                                                               nvmlComputeInstance_t *computeInstance) {
  MOCK_ENTER();
  if (computeInstance == NULL || id >= MOCK_MAX_CI) return NVML_ERROR_INVALID_ARGUMENT;
  WITH_GI(gpuInstance, state, gi, {
    (void)gi;
    if (state->ci[gpuInstance->gpu][gpuInstance->gi][id].used) {
      *computeInstance = mock_ci_handle(gpuInstance->gpu, gpuInstance->gi, id);
    } else {
      with_rc_ = NVML_ERROR_NOT_FOUND;
    }
  });
}

MOCK_EXPORT nvmlReturn_t nvmlComputeInstanceGetInfo_v2(nvmlComputeInstance_t computeInstance,
                                                       nvmlComputeInstanceInfo_t *info) {
  MOCK_ENTER();
  if (!mock_is_ci(computeInstance) || info == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  nvmlGpuInstance_t parent = mock_gi_handle(computeInstance->gpu, computeInstance->gi);
  WITH_GI(parent, state, gi, {
    (void)gi;
    const mock_instance *ci = &state->ci[computeInstance->gpu][computeInstance->gi][computeInstance->ci];
    if (!ci->used) {
      with_rc_ = NVML_ERROR_INVALID_ARGUMENT;
    } else {
      info->device = mock_gpu_handle(computeInstance->gpu);
      info->gpuInstance = parent;
      info->id = computeInstance->ci;
      info->profileId = ci->profile_index;
      info->placement = (nvmlComputeInstancePlacement_t){ci->start, ci->size};
    }
  });
}
