/*
 * Reader of the line-oriented profile format (see ../README.md). A profile is parsed completely and
 * validated before nvmlInit succeeds, so the entry points never meet a half-valid node. Every
 * failure names the file, the line and the field at fault.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile_parse.h"

#define MAX_TOKENS 32
#define MAX_INCLUDE_DEPTH 4

static int parse_file(parser *p, const char *path);

int profile_fail(parser *p, const char *field, const char *fmt, ...) {
  char reason[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(reason, sizeof reason, fmt, args);
  va_end(args);
  snprintf(p->msg, p->msg_len, "%s:%u: %s: %s", p->file, p->line, field, reason);
  return -1;
}

int profile_uint(parser *p, const char *field, const char *text, unsigned long long max,
                 unsigned long long *out) {
  char *end = NULL;
  if (text == NULL || *text == '\0' || *text == '-') return profile_fail(p, field, "expected a non-negative number");
  errno = 0;
  unsigned long long value = strtoull(text, &end, 0);
  if (errno != 0 || *end != '\0') return profile_fail(p, field, "'%s' is not a number", text);
  if (value > max) return profile_fail(p, field, "%s is larger than %llu", text, max);
  *out = value;
  return 0;
}

int profile_u32(parser *p, const char *field, const char *text, unsigned *out) {
  unsigned long long value;
  if (profile_uint(p, field, text, UINT_MAX, &value) != 0) return -1;
  *out = (unsigned)value;
  return 0;
}

int profile_text(parser *p, const char *field, char *dst, size_t size, const char *src) {
  if (src == NULL || *src == '\0') return profile_fail(p, field, "missing value");
  if (strlen(src) >= size) return profile_fail(p, field, "longer than %zu characters", size - 1);
  strcpy(dst, src);
  return 0;
}

int profile_args(parser *p, char **tok, int count, int want) {
  if (count != want) return profile_fail(p, tok[0], "expected %d value(s), found %d", want - 1, count - 1);
  return 0;
}

int profile_find_table(const mock_node *node, const char *name) {
  for (unsigned i = 0; i < node->table_count; i++) {
    if (strcmp(node->tables[i].name, name) == 0) return (int)i;
  }
  return -1;
}

static int find_model(const mock_node *node, const char *name) {
  for (unsigned i = 0; i < node->model_count; i++) {
    if (strcmp(node->models[i].model, name) == 0) return (int)i;
  }
  return -1;
}

static int find_gi_profile_by_name(const mock_mig_table *table, const char *name) {
  for (unsigned i = 0; i < NVML_GPU_INSTANCE_PROFILE_COUNT; i++) {
    if (table->profiles[i].defined && strcmp(table->profiles[i].name, name) == 0) return (int)i;
  }
  return -1;
}

int mock_table_profile_by_id(const mock_mig_table *table, unsigned id) {
  for (unsigned i = 0; i < NVML_GPU_INSTANCE_PROFILE_COUNT; i++) {
    if (table->profiles[i].defined && table->profiles[i].id == id) return (int)i;
  }
  return -1;
}

/* "Nc.<gi name>" for a partial compute instance, the GPU-instance profile's own name for a full one. */
static int find_ci_profile_by_name(const mock_gi_profile *gi, const char *name) {
  for (unsigned c = 0; c < NVML_COMPUTE_INSTANCE_PROFILE_COUNT; c++) {
    if (!mock_ci_profile_valid(gi, c)) continue;
    nvmlComputeInstanceProfileInfo_v2_t info;
    mock_ci_profile_info(gi, c, &info);
    if (strcmp(info.name, name) == 0) return (int)c;
  }
  return -1;
}

static int parse_instance(parser *p, char **tok, int count) {
  mock_node *n = p->node;
  mock_gpu *gpu = p->gpu;
  if (strcmp(tok[0], "gpu-instance") == 0) {
    /* gpu-instance ID PROFILE-NAME START */
    if (profile_args(p, tok, count, 4) != 0) return -1;
    if (gpu->mig_table < 0) return profile_fail(p, tok[0], "this GPU has no mig-table");
    mock_gi_seed seed = {.gpu = p->gpu_index, .line = p->line};
    if (profile_u32(p, "id", tok[1], &seed.id) != 0 || profile_u32(p, "start", tok[3], &seed.start) != 0) return -1;
    int profile = find_gi_profile_by_name(&n->tables[gpu->mig_table], tok[2]);
    if (profile < 0) return profile_fail(p, "profile", "no GPU-instance profile '%s' in mig-table %s", tok[2], n->tables[gpu->mig_table].name);
    seed.profile_index = (unsigned)profile;
    if (n->gi_seed_count == sizeof n->gi_seeds / sizeof n->gi_seeds[0]) return profile_fail(p, tok[0], "too many instances");
    n->gi_seeds[n->gi_seed_count++] = seed;
    return 0;
  }
  /* compute-instance GI-ID ID PROFILE-NAME START */
  if (profile_args(p, tok, count, 5) != 0) return -1;
  mock_ci_seed seed = {.gpu = p->gpu_index, .line = p->line};
  if (profile_u32(p, "gpu-instance", tok[1], &seed.gi) != 0 || profile_u32(p, "id", tok[2], &seed.id) != 0 ||
      profile_u32(p, "start", tok[4], &seed.start) != 0)
    return -1;
  const mock_gi_seed *parent = NULL;
  for (unsigned i = 0; i < n->gi_seed_count; i++) {
    if (n->gi_seeds[i].gpu == seed.gpu && n->gi_seeds[i].id == seed.gi) parent = &n->gi_seeds[i];
  }
  if (parent == NULL) return profile_fail(p, "gpu-instance", "no gpu-instance %u declared above on this GPU", seed.gi);
  const mock_gi_profile *gi = &n->tables[gpu->mig_table].profiles[parent->profile_index];
  int ci = find_ci_profile_by_name(gi, tok[3]);
  if (ci < 0) return profile_fail(p, "profile", "no compute-instance profile '%s' in GPU instance profile %s", tok[3], gi->name);
  seed.ci_profile = (unsigned)ci;
  if (n->ci_seed_count == sizeof n->ci_seeds / sizeof n->ci_seeds[0]) return profile_fail(p, tok[0], "too many instances");
  n->ci_seeds[n->ci_seed_count++] = seed;
  return 0;
}

static void clear_instances(mock_node *n, unsigned gpu) {
  unsigned kept = 0;
  for (unsigned i = 0; i < n->gi_seed_count; i++) {
    if (n->gi_seeds[i].gpu != gpu) n->gi_seeds[kept++] = n->gi_seeds[i];
  }
  n->gi_seed_count = kept;
  kept = 0;
  for (unsigned i = 0; i < n->ci_seed_count; i++) {
    if (n->ci_seeds[i].gpu != gpu) n->ci_seeds[kept++] = n->ci_seeds[i];
  }
  n->ci_seed_count = kept;
}

static int parse_fault(parser *p, char **tok, int count) {
  mock_node *n = p->node;
  if (count < 2) return profile_fail(p, "fault", "missing kind (init-error, gpu-lost or delay)");
  if (strcmp(tok[1], "init-error") == 0) {
    if (profile_args(p, tok, count, 3) != 0) return -1;
    if (mock_error_from_name(tok[2], &n->init_error) != 0) return profile_fail(p, "init-error", "unknown NVML error '%s'", tok[2]);
    return 0;
  }
  if (strcmp(tok[1], "gpu-lost") == 0) {
    unsigned index;
    if (profile_args(p, tok, count, 3) != 0 || profile_u32(p, "gpu-lost", tok[2], &index) != 0) return -1;
    if (index >= MOCK_MAX_GPUS) return profile_fail(p, "gpu-lost", "index %u is out of range", index);
    n->lost_gpu = (int)index;
    return 0;
  }
  if (strcmp(tok[1], "delay") == 0) {
    if (profile_args(p, tok, count, 4) != 0) return -1;
    if (strncmp(tok[2], "nvml", 4) != 0) return profile_fail(p, "delay", "'%s' is not an NVML function name", tok[2]);
    if (n->delay_count == MOCK_MAX_DELAYS) return profile_fail(p, "delay", "more than %d delays", MOCK_MAX_DELAYS);
    mock_delay *d = &n->delays[n->delay_count];
    if (profile_text(p, "delay", d->function, sizeof d->function, tok[2]) != 0 ||
        profile_u32(p, "delay", tok[3], &d->millis) != 0)
      return -1;
    if (d->millis > 600000) return profile_fail(p, "delay", "%u ms is longer than ten minutes", d->millis);
    n->delay_count++;
    return 0;
  }
  return profile_fail(p, "fault", "unknown kind '%s'", tok[1]);
}

static int parse_top(parser *p, char **tok, int count, const char *rest) {
  mock_node *n = p->node;
  const char *key = tok[0];
  if (strcmp(key, "include") == 0) {
    if (profile_args(p, tok, count, 2) != 0) return -1;
    if (strchr(tok[1], '/') != NULL) return profile_fail(p, key, "'%s' is not a built-in profile name", tok[1]);
    if (p->depth >= MAX_INCLUDE_DEPTH) return profile_fail(p, key, "includes nested deeper than %d", MAX_INCLUDE_DEPTH);
    char path[MOCK_PATH_LEN];
    snprintf(path, sizeof path, "%s/%s.profile", mock_builtin_dir(), tok[1]);
    parser child = *p;
    child.depth = p->depth + 1;
    if (parse_file(&child, path) != 0) {
      if (strncmp(p->msg, "cannot open", 11) == 0) return profile_fail(p, key, "no built-in profile '%s' (%s)", tok[1], path);
      return -1;
    }
    return 0;
  }
  if (strcmp(key, "driver-version") == 0) {
    if (profile_args(p, tok, count, 2) != 0) return -1;
    return profile_text(p, key, n->driver_version, sizeof n->driver_version, tok[1]);
  }
  if (strcmp(key, "nvml-version") == 0) {
    if (profile_args(p, tok, count, 2) != 0) return -1;
    return profile_text(p, key, n->nvml_version, sizeof n->nvml_version, tok[1]);
  }
  if (strcmp(key, "cuda-driver-version") == 0) {
    unsigned v;
    if (profile_args(p, tok, count, 2) != 0 || profile_u32(p, key, tok[1], &v) != 0) return -1;
    if (v < 1000 || v > 99990) return profile_fail(p, key, "%u is not of the form MAJOR*1000+MINOR*10", v);
    n->cuda_driver_version = (int)v;
    return 0;
  }
  if (strcmp(key, "mig-table") == 0) {
    if (profile_args(p, tok, count, 2) != 0) return -1;
    int index = profile_find_table(n, tok[1]);
    if (index < 0) {
      if (n->table_count == MOCK_MAX_TABLES) return profile_fail(p, key, "more than %d tables", MOCK_MAX_TABLES);
      index = (int)n->table_count++;
      mock_mig_table *t = &n->tables[index];
      memset(t, 0, sizeof *t);
      if (profile_text(p, key, t->name, sizeof t->name, tok[1]) != 0) return -1;
      t->memory_slices = 8;
      t->compute_slices = 7;
    }
    p->table = &n->tables[index];
    p->block = BLOCK_TABLE;
    return 0;
  }
  if (strcmp(key, "model") == 0) {
    if (profile_args(p, tok, count, 2) != 0) return -1;
    int index = find_model(n, tok[1]);
    if (index < 0) {
      if (n->model_count == MOCK_MAX_MODELS) return profile_fail(p, key, "more than %d models", MOCK_MAX_MODELS);
      index = (int)n->model_count++;
      memset(&n->models[index], 0, sizeof n->models[index]);
      n->models[index].mig_table = -1;
      n->models[index].numa_node = -1;
      if (profile_text(p, key, n->models[index].model, sizeof n->models[index].model, tok[1]) != 0) return -1;
    }
    p->gpu = &n->models[index];
    p->block = BLOCK_MODEL;
    return 0;
  }
  if (strcmp(key, "gpu") == 0) {
    unsigned index;
    if (profile_args(p, tok, count, 2) != 0 || profile_u32(p, key, tok[1], &index) != 0) return -1;
    if (index >= MOCK_MAX_GPUS) return profile_fail(p, key, "index %u is not below %d", index, MOCK_MAX_GPUS);
    mock_gpu *g = &n->gpus[index];
    if (!g->defined) {
      memset(g, 0, sizeof *g);
      g->defined = 1;
      g->mig_table = -1;
      g->numa_node = -1;
      g->line = p->line;
    }
    if (index >= n->gpu_count) n->gpu_count = index + 1;
    p->gpu = g;
    p->gpu_index = index;
    p->block = BLOCK_GPU;
    return 0;
  }
  if (strcmp(key, "fault") == 0) return parse_fault(p, tok, count);
  (void)rest;
  return profile_fail(p, key, "unknown keyword at top level");
}

static int parse_line(parser *p, char *line) {
  char *hash = line;
  while ((hash = strchr(hash, '#')) != NULL) {
    if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
      *hash = '\0';
      break;
    }
    hash++;
  }
  char *start = line + strspn(line, " \t\r\n");
  char *end = start + strlen(start);
  while (end > start && strchr(" \t\r\n", end[-1]) != NULL) *--end = '\0';
  if (*start == '\0') return 0;

  /* rest: the text after the keyword, for values that contain blanks (GPU names). */
  char *rest = start + strcspn(start, " \t");
  rest += strspn(rest, " \t");
  char restcopy[512];
  snprintf(restcopy, sizeof restcopy, "%s", rest);

  char *tok[MAX_TOKENS];
  int count = 0;
  for (char *save = NULL, *t = strtok_r(start, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
    if (count == MAX_TOKENS) return profile_fail(p, tok[0], "more than %d words on one line", MAX_TOKENS);
    tok[count++] = t;
  }

  if (strcmp(tok[0], "end") == 0) {
    if (p->block == BLOCK_TOP) return profile_fail(p, "end", "no block is open");
    if (profile_args(p, tok, count, 1) != 0) return -1;
    p->block = BLOCK_TOP;
    return 0;
  }
  switch (p->block) {
    case BLOCK_TOP:
      return parse_top(p, tok, count, restcopy);
    case BLOCK_TABLE:
      if (strcmp(tok[0], "gi-profile") == 0) return profile_gi_profile(p, tok, count);
      if (strcmp(tok[0], "memory-slices") == 0 || strcmp(tok[0], "compute-slices") == 0) {
        unsigned v;
        if (profile_args(p, tok, count, 2) != 0 || profile_u32(p, tok[0], tok[1], &v) != 0) return -1;
        if (v == 0 || v > 32) return profile_fail(p, tok[0], "%u is outside 1..32", v);
        *(tok[0][0] == 'm' ? &p->table->memory_slices : &p->table->compute_slices) = v;
        return 0;
      }
      return profile_fail(p, tok[0], "unknown field in mig-table");
    case BLOCK_MODEL:
      return profile_gpu_field(p, p->gpu, tok, count, restcopy);
    case BLOCK_GPU:
      if (strcmp(tok[0], "model") == 0) {
        if (profile_args(p, tok, count, 2) != 0) return -1;
        int m = find_model(p->node, tok[1]);
        if (m < 0) return profile_fail(p, "model", "no model named '%s' is defined above", tok[1]);
        unsigned line = p->gpu->line;
        *p->gpu = p->node->models[m];
        p->gpu->line = line;
        p->gpu->defined = 1;
        return 0;
      }
      if (strcmp(tok[0], "gpu-instance") == 0 || strcmp(tok[0], "compute-instance") == 0)
        return parse_instance(p, tok, count);
      if (strcmp(tok[0], "clear-instances") == 0) {
        if (profile_args(p, tok, count, 1) != 0) return -1;
        clear_instances(p->node, p->gpu_index);
        return 0;
      }
      return profile_gpu_field(p, p->gpu, tok, count, restcopy);
  }
  return 0;
}

static int parse_file(parser *p, const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(p->msg, p->msg_len, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  const char *outer_file = p->file;
  unsigned outer_line = p->line;
  p->file = path;
  p->line = 0;
  p->block = BLOCK_TOP;
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    p->line++;
    rc = parse_line(p, line);
  }
  if (rc == 0 && p->block != BLOCK_TOP) rc = profile_fail(p, "end", "block not closed at end of file");
  free(line);
  fclose(f);
  p->file = outer_file;
  p->line = outer_line;
  return rc;
}

int mock_profile_load(const char *path, const char *name, mock_node *node, char *msg, size_t msg_len) {
  memset(node, 0, sizeof *node);
  node->lost_gpu = -1;
  node->init_error = NVML_SUCCESS;
  strcpy(node->driver_version, "550.54.15");
  strcpy(node->nvml_version, "12.550.54.15");
  node->cuda_driver_version = 12040;
  snprintf(node->profile_name, sizeof node->profile_name, "%s", name);
  snprintf(node->profile_path, sizeof node->profile_path, "%s", path);
  parser p = {.node = node, .file = path, .msg = msg, .msg_len = msg_len, .block = BLOCK_TOP};
  if (parse_file(&p, path) != 0) return -1;
  p.file = path;
  return profile_validate(&p);
}
