/*
 * MIG placement rules, pure functions of a profile table and a state snapshot.
 *
 * GPU instances occupy memory slices given by one of their profile's possible placements and may
 * not overlap; each profile also has an instance ceiling, and all instances together may not use
 * more compute slices than the GPU has. Compute instances occupy compute slices of their GPU
 * instance, aligned to their own size, and may not overlap either.
 */
#include <stdio.h>
#include <string.h>

#include "mock.h"

/* NVML_COMPUTE_INSTANCE_PROFILE_{1,2,3,4,7,8,6}_SLICE; 1_SLICE_REV1 is not modelled. */
const unsigned mock_ci_enum_slices[NVML_COMPUTE_INSTANCE_PROFILE_COUNT] = {1, 2, 3, 4, 7, 8, 6, 0};

int mock_span_overlaps(mock_span a, mock_span b) { return a.start < b.start + b.size && b.start < a.start + a.size; }

static unsigned used_compute_slices(const mock_mig_table *table, const mock_state *state, unsigned gpu) {
  unsigned used = 0;
  for (unsigned i = 0; i < MOCK_MAX_GI; i++) {
    if (state->gi[gpu][i].used) used += table->profiles[state->gi[gpu][i].profile_index].slices;
  }
  return used;
}

static unsigned instances_of(const mock_state *state, unsigned gpu, unsigned profile_index) {
  unsigned count = 0;
  for (unsigned i = 0; i < MOCK_MAX_GI; i++) {
    if (state->gi[gpu][i].used && state->gi[gpu][i].profile_index == profile_index) count++;
  }
  return count;
}

int mock_gi_placement_free(const mock_mig_table *table, const mock_state *state, unsigned gpu,
                           unsigned profile_index, mock_span placement) {
  for (unsigned i = 0; i < MOCK_MAX_GI; i++) {
    const mock_instance *gi = &state->gi[gpu][i];
    if (gi->used && mock_span_overlaps(placement, (mock_span){gi->start, gi->size})) return 0;
  }
  return used_compute_slices(table, state, gpu) + table->profiles[profile_index].slices <= table->compute_slices;
}

unsigned mock_gi_remaining(const mock_mig_table *table, const mock_state *state, unsigned gpu,
                           unsigned profile_index) {
  const mock_gi_profile *profile = &table->profiles[profile_index];
  unsigned existing = instances_of(state, gpu, profile_index);
  if (existing >= profile->instances) return 0;
  /* Free placements of one profile never overlap each other, so each can host an instance; the
     compute slices left bound the total as well. */
  unsigned free_placements = 0;
  for (unsigned k = 0; k < profile->placement_count; k++) {
    int clash = 0;
    for (unsigned i = 0; i < MOCK_MAX_GI; i++) {
      const mock_instance *gi = &state->gi[gpu][i];
      if (gi->used && mock_span_overlaps(profile->placements[k], (mock_span){gi->start, gi->size})) clash = 1;
    }
    if (!clash) free_placements++;
  }
  unsigned by_compute = (table->compute_slices - used_compute_slices(table, state, gpu)) / profile->slices;
  unsigned remaining = profile->instances - existing;
  if (free_placements < remaining) remaining = free_placements;
  if (by_compute < remaining) remaining = by_compute;
  return remaining;
}

/* A GPU instance of S compute slices offers compute instances of 1, 2, 3, 4 or 7 slices that divide
   it the way `nvidia-smi mig -lcip` lists them: 1c and 2c where they fit, 3c and 4c only in a 7g
   instance, and the full instance. */
int mock_ci_profile_valid(const mock_gi_profile *gi, unsigned ci_profile) {
  if (ci_profile >= NVML_COMPUTE_INSTANCE_PROFILE_COUNT) return 0;
  unsigned c = mock_ci_enum_slices[ci_profile], s = gi->slices;
  if (c == 0 || c > s) return 0;
  if (c == s || c == 1 || c == 2) return 1;
  return (c == 3 || c == 4) && s == 7;
}

void mock_ci_profile_info(const mock_gi_profile *gi, unsigned ci_profile, nvmlComputeInstanceProfileInfo_v2_t *out) {
  unsigned c = mock_ci_enum_slices[ci_profile];
  memset(out, 0, sizeof *out);
  out->version = nvmlComputeInstanceProfileInfo_v2;
  out->id = ci_profile;
  out->sliceCount = c;
  out->instanceCount = gi->slices / c;
  out->multiprocessorCount = gi->sm * c / gi->slices;
  out->sharedCopyEngineCount = gi->ce;
  out->sharedDecoderCount = gi->dec;
  out->sharedEncoderCount = gi->enc;
  out->sharedJpegCount = gi->jpeg;
  out->sharedOfaCount = gi->ofa;
  if (c == gi->slices) {
    snprintf(out->name, sizeof out->name, "%s", gi->name);
  } else {
    snprintf(out->name, sizeof out->name, "%uc.%s", c, gi->name);
  }
}

static int ci_span_free(const mock_state *state, unsigned gpu, unsigned gi_id, mock_span span) {
  for (unsigned c = 0; c < MOCK_MAX_CI; c++) {
    const mock_instance *ci = &state->ci[gpu][gi_id][c];
    if (ci->used && mock_span_overlaps(span, (mock_span){ci->start, ci->size})) return 0;
  }
  return 1;
}

int mock_ci_first_free(const mock_gi_profile *gi, const mock_state *state, unsigned gpu, unsigned gi_id,
                       unsigned ci_profile, mock_span *out) {
  unsigned c = mock_ci_enum_slices[ci_profile];
  for (unsigned start = 0; start + c <= gi->slices; start += c) {
    mock_span span = {start, c};
    if (ci_span_free(state, gpu, gi_id, span)) {
      *out = span;
      return 1;
    }
  }
  return 0;
}

unsigned mock_ci_remaining(const mock_gi_profile *gi, const mock_state *state, unsigned gpu, unsigned gi_id,
                           unsigned ci_profile) {
  unsigned c = mock_ci_enum_slices[ci_profile], free_spans = 0;
  for (unsigned start = 0; start + c <= gi->slices; start += c) {
    if (ci_span_free(state, gpu, gi_id, (mock_span){start, c})) free_spans++;
  }
  return free_spans;
}

/* MIG-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx derived from the parent UUID and the creation serial, so
   every process computes the same UUID and a re-created instance gets a new one, as on real GPUs. */
void mock_mig_uuid(const mock_gpu *parent, unsigned serial, char *out, size_t len) {
  unsigned long long h1 = 1469598103934665603ULL, h2 = 1099511628211ULL ^ serial;
  for (const char *p = parent->uuid; *p != '\0'; p++) {
    h1 = (h1 ^ (unsigned char)*p) * 1099511628211ULL;
    h2 = (h2 ^ (unsigned char)*p) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
  }
  h1 ^= (unsigned long long)serial * 0x9e3779b97f4a7c15ULL;
  h1 *= 1099511628211ULL;
  snprintf(out, len, "MIG-%08llx-%04llx-%04llx-%04llx-%012llx", h1 >> 32, (h1 >> 16) & 0xffff,
           (0x4000 | (h1 & 0x0fff)), (0x8000 | ((h2 >> 48) & 0x3fff)), h2 & 0xffffffffffffULL);
}
