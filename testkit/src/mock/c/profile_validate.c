/* Cross-line rules of a profile, checked after the whole file (and its includes) is read. */
#include <stdio.h>
#include <string.h>

#include "profile_parse.h"

static int at(parser *p, unsigned line, const char *field, const char *what) {
  p->line = line;
  return profile_fail(p, field, "%s", what);
}

/* Cross-line rules: complete GPUs, unique identities, and initial MIG instances that real MIG accepts. */
int profile_validate(parser *p) {
  mock_node *n = p->node;
  char what[256];
  for (unsigned i = 0; i < n->gpu_count; i++) {
    const mock_gpu *g = &n->gpus[i];
    if (!g->defined) {
      snprintf(what, sizeof what, "GPU %u is missing while GPU %u exists (indices must be 0..N-1)", i, n->gpu_count - 1);
      p->line = 0;
      return profile_fail(p, "gpu", "%s", what);
    }
    static const char *const missing[] = {"name", "uuid", "memory-mib", "compute-capability", "architecture"};
    int absent[] = {g->name[0] == '\0', g->uuid[0] == '\0', g->memory_mib == 0, g->cc_major == 0, g->architecture == 0};
    for (unsigned k = 0; k < 5; k++) {
      if (absent[k]) {
        snprintf(what, sizeof what, "GPU %u has no %s", i, missing[k]);
        return at(p, g->line, missing[k], what);
      }
    }
    if (g->mig_table < 0 && (g->mig_current || g->mig_pending)) {
      snprintf(what, sizeof what, "GPU %u enables MIG but has no mig-table", i);
      return at(p, g->line, "mig-mode", what);
    }
    for (unsigned j = 0; j < i; j++) {
      const mock_gpu *o = &n->gpus[j];
      const char *clash = strcmp(o->uuid, g->uuid) == 0 ? "uuid"
                          : o->minor == g->minor       ? "minor"
                          : (o->pci_domain == g->pci_domain && o->pci_bus == g->pci_bus && o->pci_device == g->pci_device)
                              ? "pci-bus-id"
                              : NULL;
      if (clash != NULL) {
        snprintf(what, sizeof what, "GPU %u has the same %s as GPU %u", i, clash, j);
        return at(p, g->line, clash, what);
      }
    }
  }
  if (n->lost_gpu >= (int)n->gpu_count) {
    p->line = 0;
    return profile_fail(p, "gpu-lost", "GPU %d does not exist", n->lost_gpu);
  }

  /* Seed the instances into a scratch state with the same rules creation applies. */
  static mock_state scratch;
  memset(&scratch, 0, sizeof scratch);
  for (unsigned i = 0; i < n->gi_seed_count; i++) {
    const mock_gi_seed *s = &n->gi_seeds[i];
    const mock_gpu *g = &n->gpus[s->gpu];
    const mock_mig_table *t = &n->tables[g->mig_table];
    const mock_gi_profile *prof = &t->profiles[s->profile_index];
    if (!prof->defined) return at(p, s->line, "gpu-instance", "profile not in this GPU's mig-table");
    if (g->mig_current != NVML_DEVICE_MIG_ENABLE) return at(p, s->line, "gpu-instance", "MIG mode is not enabled on this GPU");
    if (s->id >= MOCK_MAX_GI || scratch.gi[s->gpu][s->id].used) {
      snprintf(what, sizeof what, "id %u is taken or not below %d", s->id, MOCK_MAX_GI);
      return at(p, s->line, "id", what);
    }
    mock_span span = {s->start, 0};
    for (unsigned k = 0; k < prof->placement_count; k++) {
      if (prof->placements[k].start == s->start) span = prof->placements[k];
    }
    if (span.size == 0) {
      snprintf(what, sizeof what, "%u is not a possible placement start of %s", s->start, prof->name);
      return at(p, s->line, "start", what);
    }
    if (mock_gi_remaining(t, &scratch, s->gpu, s->profile_index) == 0) {
      snprintf(what, sizeof what, "no room for another %s instance on this GPU", prof->name);
      return at(p, s->line, "gpu-instance", what);
    }
    if (!mock_gi_placement_free(t, &scratch, s->gpu, s->profile_index, span))
      return at(p, s->line, "start", "overlaps another GPU instance");
    scratch.gi[s->gpu][s->id] = (mock_instance){1, s->profile_index, span.start, span.size, 0};
  }
  for (unsigned i = 0; i < n->ci_seed_count; i++) {
    const mock_ci_seed *s = &n->ci_seeds[i];
    const mock_gpu *g = &n->gpus[s->gpu];
    const mock_gi_profile *gi = &n->tables[g->mig_table].profiles[scratch.gi[s->gpu][s->gi].profile_index];
    if (s->id >= MOCK_MAX_CI || scratch.ci[s->gpu][s->gi][s->id].used) {
      snprintf(what, sizeof what, "id %u is taken or not below %d", s->id, MOCK_MAX_CI);
      return at(p, s->line, "id", what);
    }
    unsigned size = mock_ci_enum_slices[s->ci_profile];
    if (s->start % size != 0 || s->start + size > gi->slices) {
      snprintf(what, sizeof what, "%u is not a possible placement start of a %u-slice compute instance", s->start, size);
      return at(p, s->line, "start", what);
    }
    mock_span span = {s->start, size};
    for (unsigned c = 0; c < MOCK_MAX_CI; c++) {
      const mock_instance *o = &scratch.ci[s->gpu][s->gi][c];
      if (o->used && mock_span_overlaps(span, (mock_span){o->start, o->size}))
        return at(p, s->line, "start", "overlaps another compute instance");
    }
    scratch.ci[s->gpu][s->gi][s->id] = (mock_instance){1, s->ci_profile, span.start, span.size, 0};
  }
  return 0;
}
