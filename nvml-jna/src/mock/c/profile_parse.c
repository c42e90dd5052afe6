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

#include "mock.h"

#define MAX_TOKENS 32
#define MAX_INCLUDE_DEPTH 4

typedef enum { BLOCK_TOP, BLOCK_TABLE, BLOCK_MODEL, BLOCK_GPU } block_kind;

typedef struct {
  mock_node *node;
  const char *file;
  unsigned line;
  char *msg;
  size_t msg_len;
  block_kind block;
  mock_mig_table *table;
  mock_gpu *gpu;
  unsigned gpu_index;
  int depth;
} parser;

static int parse_file(parser *p, const char *path);

__attribute__((format(printf, 3, 4))) static int fail(parser *p, const char *field, const char *fmt, ...) {
  char reason[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(reason, sizeof reason, fmt, args);
  va_end(args);
  snprintf(p->msg, p->msg_len, "%s:%u: %s: %s", p->file, p->line, field, reason);
  return -1;
}

static int parse_uint(parser *p, const char *field, const char *text, unsigned long long max,
                      unsigned long long *out) {
  char *end = NULL;
  if (text == NULL || *text == '\0' || *text == '-') return fail(p, field, "expected a non-negative number");
  errno = 0;
  unsigned long long value = strtoull(text, &end, 0);
  if (errno != 0 || *end != '\0') return fail(p, field, "'%s' is not a number", text);
  if (value > max) return fail(p, field, "%s is larger than %llu", text, max);
  *out = value;
  return 0;
}

static int parse_u32(parser *p, const char *field, const char *text, unsigned *out) {
  unsigned long long value;
  if (parse_uint(p, field, text, UINT_MAX, &value) != 0) return -1;
  *out = (unsigned)value;
  return 0;
}

static int copy_text(parser *p, const char *field, char *dst, size_t size, const char *src) {
  if (src == NULL || *src == '\0') return fail(p, field, "missing value");
  if (strlen(src) >= size) return fail(p, field, "longer than %zu characters", size - 1);
  strcpy(dst, src);
  return 0;
}

static int expect_args(parser *p, char **tok, int count, int want) {
  if (count != want) return fail(p, tok[0], "expected %d value(s), found %d", want - 1, count - 1);
  return 0;
}

static int find_table(const mock_node *node, const char *name) {
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

typedef struct {
  const char *name;
  unsigned value;
} named_value;

static const named_value BRANDS[] = {
    {"UNKNOWN", NVML_BRAND_UNKNOWN}, {"QUADRO", NVML_BRAND_QUADRO},         {"TESLA", NVML_BRAND_TESLA},
    {"NVS", NVML_BRAND_NVS},         {"GEFORCE", NVML_BRAND_GEFORCE},       {"TITAN", NVML_BRAND_TITAN},
    {"NVIDIA_RTX", NVML_BRAND_NVIDIA_RTX}, {"QUADRO_RTX", NVML_BRAND_QUADRO_RTX}, {"NVIDIA", NVML_BRAND_NVIDIA},
};

static const named_value ARCHITECTURES[] = {
    {"KEPLER", NVML_DEVICE_ARCH_KEPLER}, {"MAXWELL", NVML_DEVICE_ARCH_MAXWELL}, {"PASCAL", NVML_DEVICE_ARCH_PASCAL},
    {"VOLTA", NVML_DEVICE_ARCH_VOLTA},   {"TURING", NVML_DEVICE_ARCH_TURING},   {"AMPERE", NVML_DEVICE_ARCH_AMPERE},
    {"ADA", NVML_DEVICE_ARCH_ADA},       {"HOPPER", NVML_DEVICE_ARCH_HOPPER},   {"UNKNOWN", NVML_DEVICE_ARCH_UNKNOWN},
};

static int parse_named(parser *p, const char *field, const char *text, const named_value *values, size_t count,
                       unsigned *out) {
  for (size_t i = 0; i < count; i++) {
    if (strcasecmp(values[i].name, text) == 0) {
      *out = values[i].value;
      return 0;
    }
  }
  return fail(p, field, "unknown value '%s'", text);
}

static int parse_mode(parser *p, const char *field, const char *text, unsigned *out) {
  if (strcmp(text, "enabled") == 0) {
    *out = NVML_DEVICE_MIG_ENABLE;
  } else if (strcmp(text, "disabled") == 0) {
    *out = NVML_DEVICE_MIG_DISABLE;
  } else {
    return fail(p, field, "expected 'enabled' or 'disabled', found '%s'", text);
  }
  return 0;
}

static int is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return 0;
  }
  return 1;
}

/* GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, the form nvidia-smi -L shows. */
static int valid_gpu_uuid(const char *u) {
  static const unsigned groups[] = {8, 4, 4, 4, 12};
  if (strncmp(u, "GPU-", 4) != 0) return 0;
  const char *s = u + 4;
  for (unsigned g = 0; g < 5; g++) {
    if (!is_hex(s, groups[g])) return 0;
    s += groups[g];
    if (g < 4 && *s++ != '-') return 0;
  }
  return *s == '\0';
}

static int parse_gpu_field(parser *p, mock_gpu *gpu, char **tok, int count, const char *rest) {
  const char *key = tok[0];
  if (strcmp(key, "name") == 0) return copy_text(p, key, gpu->name, sizeof gpu->name, rest);
  if (strcmp(key, "uuid") == 0) {
    if (expect_args(p, tok, count, 2) != 0) return -1;
    if (!valid_gpu_uuid(tok[1])) return fail(p, key, "'%s' is not of the form GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", tok[1]);
    return copy_text(p, key, gpu->uuid, sizeof gpu->uuid, tok[1]);
  }
  if (expect_args(p, tok, count, 2) != 0) return -1;
  const char *v = tok[1];
  if (strcmp(key, "brand") == 0) return parse_named(p, key, v, BRANDS, sizeof BRANDS / sizeof BRANDS[0], &gpu->brand);
  if (strcmp(key, "architecture") == 0)
    return parse_named(p, key, v, ARCHITECTURES, sizeof ARCHITECTURES / sizeof ARCHITECTURES[0], &gpu->architecture);
  if (strcmp(key, "compute-capability") == 0) {
    int major, minor, used = 0;
    if (sscanf(v, "%d.%d%n", &major, &minor, &used) != 2 || v[used] != '\0' || major < 1 || minor < 0)
      return fail(p, key, "expected MAJOR.MINOR, found '%s'", v);
    gpu->cc_major = major;
    gpu->cc_minor = minor;
    return 0;
  }
  if (strcmp(key, "memory-mib") == 0) return parse_uint(p, key, v, 1ULL << 32, &gpu->memory_mib);
  if (strcmp(key, "reserved-mib") == 0) return parse_uint(p, key, v, 1ULL << 32, &gpu->reserved_mib);
  if (strcmp(key, "pci-bus-id") == 0) {
    unsigned domain, bus, device, function;
    int used = 0;
    if (sscanf(v, "%8x:%2x:%2x.%1x%n", &domain, &bus, &device, &function, &used) != 4 || v[used] != '\0' ||
        strlen(v) != 16 || device > 31 || function != 0)
      return fail(p, key, "expected DDDDDDDD:BB:DD.0 in hex, found '%s'", v);
    gpu->pci_domain = domain;
    gpu->pci_bus = bus;
    gpu->pci_device = device;
    return 0;
  }
  if (strcmp(key, "pci-device-id") == 0) return parse_u32(p, key, v, &gpu->pci_device_id);
  if (strcmp(key, "pci-subsystem-id") == 0) return parse_u32(p, key, v, &gpu->pci_subsystem_id);
  if (strcmp(key, "minor") == 0) return parse_u32(p, key, v, &gpu->minor);
  if (strcmp(key, "mig-table") == 0) {
    if (strcmp(v, "none") == 0) {
      gpu->mig_table = -1;
      return 0;
    }
    int table = find_table(p->node, v);
    if (table < 0) return fail(p, key, "no mig-table named '%s' is defined above", v);
    gpu->mig_table = table;
    return 0;
  }
  if (strcmp(key, "mig-mode") == 0) return parse_mode(p, key, v, &gpu->mig_current);
  if (strcmp(key, "mig-pending") == 0) return parse_mode(p, key, v, &gpu->mig_pending);
  return fail(p, key, "unknown field");
}

static int parse_placements(parser *p, mock_gi_profile *profile, const char *text) {
  char buffer[256];
  if (copy_text(p, "placements", buffer, sizeof buffer, text) != 0) return -1;
  profile->placement_count = 0;
  for (char *save = NULL, *item = strtok_r(buffer, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
    unsigned start, size;
    int used = 0;
    if (sscanf(item, "%u:%u%n", &start, &size, &used) != 2 || item[used] != '\0' || size == 0)
      return fail(p, "placements", "expected START:SIZE, found '%s'", item);
    if (profile->placement_count == MOCK_MAX_PLACEMENTS)
      return fail(p, "placements", "more than %d placements", MOCK_MAX_PLACEMENTS);
    profile->placements[profile->placement_count++] = (mock_span){start, size};
  }
  if (profile->placement_count == 0) return fail(p, "placements", "no placement given");
  return 0;
}

static int parse_gi_profile(parser *p, char **tok, int count) {
  unsigned index;
  if (count < 2) return fail(p, "gi-profile", "missing NVML profile enum index");
  if (parse_u32(p, "gi-profile", tok[1], &index) != 0) return -1;
  if (index >= NVML_GPU_INSTANCE_PROFILE_COUNT)
    return fail(p, "gi-profile", "enum index %u is not below NVML_GPU_INSTANCE_PROFILE_COUNT (%d)", index,
                NVML_GPU_INSTANCE_PROFILE_COUNT);
  mock_gi_profile *g = &p->table->profiles[index];
  memset(g, 0, sizeof *g);
  static const char *const required[] = {"id", "name", "slices", "memory-mib", "sm", "ce", "dec",
                                         "enc", "jpeg", "ofa", "instances", "placements"};
  unsigned seen = 0;
  for (int i = 2; i < count; i++) {
    char *eq = strchr(tok[i], '=');
    if (eq == NULL) return fail(p, tok[i], "expected KEY=VALUE");
    *eq = '\0';
    const char *key = tok[i], *value = eq + 1;
    unsigned k;
    for (k = 0; k < sizeof required / sizeof required[0]; k++) {
      if (strcmp(required[k], key) == 0) break;
    }
    if (k == sizeof required / sizeof required[0]) return fail(p, key, "unknown gi-profile field");
    if (seen & (1u << k)) return fail(p, key, "given twice");
    seen |= 1u << k;
    int rc = 0;
    switch (k) {
      case 0: rc = parse_u32(p, key, value, &g->id); break;
      case 1: rc = copy_text(p, key, g->name, sizeof g->name, value); break;
      case 2: rc = parse_u32(p, key, value, &g->slices); break;
      case 3: rc = parse_uint(p, key, value, 1ULL << 32, &g->memory_mib); break;
      case 4: rc = parse_u32(p, key, value, &g->sm); break;
      case 5: rc = parse_u32(p, key, value, &g->ce); break;
      case 6: rc = parse_u32(p, key, value, &g->dec); break;
      case 7: rc = parse_u32(p, key, value, &g->enc); break;
      case 8: rc = parse_u32(p, key, value, &g->jpeg); break;
      case 9: rc = parse_u32(p, key, value, &g->ofa); break;
      case 10: rc = parse_u32(p, key, value, &g->instances); break;
      default: rc = parse_placements(p, g, value); break;
    }
    if (rc != 0) return rc;
  }
  for (unsigned k = 0; k < sizeof required / sizeof required[0]; k++) {
    if (!(seen & (1u << k))) return fail(p, required[k], "missing in gi-profile");
  }
  if (g->slices == 0 || g->slices > p->table->compute_slices)
    return fail(p, "slices", "%u is outside 1..compute-slices (%u)", g->slices, p->table->compute_slices);
  for (unsigned i = 0; i < g->placement_count; i++) {
    if (g->placements[i].start + g->placements[i].size > p->table->memory_slices)
      return fail(p, "placements", "%u:%u ends beyond memory-slices (%u)", g->placements[i].start,
                  g->placements[i].size, p->table->memory_slices);
  }
  if (g->instances == 0 || g->instances > g->placement_count)
    return fail(p, "instances", "%u is outside 1..number of placements (%u)", g->instances, g->placement_count);
  for (unsigned i = 0; i < NVML_GPU_INSTANCE_PROFILE_COUNT; i++) {
    const mock_gi_profile *other = &p->table->profiles[i];
    if (i == index || !other->defined) continue;
    if (other->id == g->id) return fail(p, "id", "%u is already used by %s", g->id, other->name);
    if (strcmp(other->name, g->name) == 0) return fail(p, "name", "'%s' is already defined", g->name);
  }
  g->defined = 1;
  return 0;
}

static int parse_instance(parser *p, char **tok, int count) {
  mock_node *n = p->node;
  mock_gpu *gpu = p->gpu;
  if (strcmp(tok[0], "gpu-instance") == 0) {
    /* gpu-instance ID PROFILE-NAME START */
    if (expect_args(p, tok, count, 4) != 0) return -1;
    if (gpu->mig_table < 0) return fail(p, tok[0], "this GPU has no mig-table");
    mock_gi_seed seed = {.gpu = p->gpu_index, .line = p->line};
    if (parse_u32(p, "id", tok[1], &seed.id) != 0 || parse_u32(p, "start", tok[3], &seed.start) != 0) return -1;
    int profile = find_gi_profile_by_name(&n->tables[gpu->mig_table], tok[2]);
    if (profile < 0) return fail(p, "profile", "no GPU-instance profile '%s' in mig-table %s", tok[2], n->tables[gpu->mig_table].name);
    seed.profile_index = (unsigned)profile;
    if (n->gi_seed_count == sizeof n->gi_seeds / sizeof n->gi_seeds[0]) return fail(p, tok[0], "too many instances");
    n->gi_seeds[n->gi_seed_count++] = seed;
    return 0;
  }
  /* compute-instance GI-ID ID PROFILE-NAME START */
  if (expect_args(p, tok, count, 5) != 0) return -1;
  mock_ci_seed seed = {.gpu = p->gpu_index, .line = p->line};
  if (parse_u32(p, "gpu-instance", tok[1], &seed.gi) != 0 || parse_u32(p, "id", tok[2], &seed.id) != 0 ||
      parse_u32(p, "start", tok[4], &seed.start) != 0)
    return -1;
  const mock_gi_seed *parent = NULL;
  for (unsigned i = 0; i < n->gi_seed_count; i++) {
    if (n->gi_seeds[i].gpu == seed.gpu && n->gi_seeds[i].id == seed.gi) parent = &n->gi_seeds[i];
  }
  if (parent == NULL) return fail(p, "gpu-instance", "no gpu-instance %u declared above on this GPU", seed.gi);
  const mock_gi_profile *gi = &n->tables[gpu->mig_table].profiles[parent->profile_index];
  int ci = find_ci_profile_by_name(gi, tok[3]);
  if (ci < 0) return fail(p, "profile", "no compute-instance profile '%s' in GPU instance profile %s", tok[3], gi->name);
  seed.ci_profile = (unsigned)ci;
  if (n->ci_seed_count == sizeof n->ci_seeds / sizeof n->ci_seeds[0]) return fail(p, tok[0], "too many instances");
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
  if (count < 2) return fail(p, "fault", "missing kind (init-error, gpu-lost or delay)");
  if (strcmp(tok[1], "init-error") == 0) {
    if (expect_args(p, tok, count, 3) != 0) return -1;
    if (mock_error_from_name(tok[2], &n->init_error) != 0) return fail(p, "init-error", "unknown NVML error '%s'", tok[2]);
    return 0;
  }
  if (strcmp(tok[1], "gpu-lost") == 0) {
    unsigned index;
    if (expect_args(p, tok, count, 3) != 0 || parse_u32(p, "gpu-lost", tok[2], &index) != 0) return -1;
    if (index >= MOCK_MAX_GPUS) return fail(p, "gpu-lost", "index %u is out of range", index);
    n->lost_gpu = (int)index;
    return 0;
  }
  if (strcmp(tok[1], "delay") == 0) {
    if (expect_args(p, tok, count, 4) != 0) return -1;
    if (strncmp(tok[2], "nvml", 4) != 0) return fail(p, "delay", "'%s' is not an NVML function name", tok[2]);
    if (n->delay_count == MOCK_MAX_DELAYS) return fail(p, "delay", "more than %d delays", MOCK_MAX_DELAYS);
    mock_delay *d = &n->delays[n->delay_count];
    if (copy_text(p, "delay", d->function, sizeof d->function, tok[2]) != 0 ||
        parse_u32(p, "delay", tok[3], &d->millis) != 0)
      return -1;
    if (d->millis > 600000) return fail(p, "delay", "%u ms is longer than ten minutes", d->millis);
    n->delay_count++;
    return 0;
  }
  return fail(p, "fault", "unknown kind '%s'", tok[1]);
}

static int parse_top(parser *p, char **tok, int count, const char *rest) {
  mock_node *n = p->node;
  const char *key = tok[0];
  if (strcmp(key, "include") == 0) {
    if (expect_args(p, tok, count, 2) != 0) return -1;
    if (strchr(tok[1], '/') != NULL) return fail(p, key, "'%s' is not a built-in profile name", tok[1]);
    if (p->depth >= MAX_INCLUDE_DEPTH) return fail(p, key, "includes nested deeper than %d", MAX_INCLUDE_DEPTH);
    char path[MOCK_PATH_LEN];
    snprintf(path, sizeof path, "%s/%s.profile", mock_builtin_dir(), tok[1]);
    parser child = *p;
    child.depth = p->depth + 1;
    if (parse_file(&child, path) != 0) {
      if (strncmp(p->msg, "cannot open", 11) == 0) return fail(p, key, "no built-in profile '%s' (%s)", tok[1], path);
      return -1;
    }
    return 0;
  }
  if (strcmp(key, "driver-version") == 0) {
    if (expect_args(p, tok, count, 2) != 0) return -1;
    return copy_text(p, key, n->driver_version, sizeof n->driver_version, tok[1]);
  }
  if (strcmp(key, "nvml-version") == 0) {
    if (expect_args(p, tok, count, 2) != 0) return -1;
    return copy_text(p, key, n->nvml_version, sizeof n->nvml_version, tok[1]);
  }
  if (strcmp(key, "cuda-driver-version") == 0) {
    unsigned v;
    if (expect_args(p, tok, count, 2) != 0 || parse_u32(p, key, tok[1], &v) != 0) return -1;
    if (v < 1000 || v > 99990) return fail(p, key, "%u is not of the form MAJOR*1000+MINOR*10", v);
    n->cuda_driver_version = (int)v;
    return 0;
  }
  if (strcmp(key, "mig-table") == 0) {
    if (expect_args(p, tok, count, 2) != 0) return -1;
    int index = find_table(n, tok[1]);
    if (index < 0) {
      if (n->table_count == MOCK_MAX_TABLES) return fail(p, key, "more than %d tables", MOCK_MAX_TABLES);
      index = (int)n->table_count++;
      mock_mig_table *t = &n->tables[index];
      memset(t, 0, sizeof *t);
      if (copy_text(p, key, t->name, sizeof t->name, tok[1]) != 0) return -1;
      t->memory_slices = 8;
      t->compute_slices = 7;
    }
    p->table = &n->tables[index];
    p->block = BLOCK_TABLE;
    return 0;
  }
  if (strcmp(key, "model") == 0) {
    if (expect_args(p, tok, count, 2) != 0) return -1;
    int index = find_model(n, tok[1]);
    if (index < 0) {
      if (n->model_count == MOCK_MAX_MODELS) return fail(p, key, "more than %d models", MOCK_MAX_MODELS);
      index = (int)n->model_count++;
      memset(&n->models[index], 0, sizeof n->models[index]);
      n->models[index].mig_table = -1;
      if (copy_text(p, key, n->models[index].model, sizeof n->models[index].model, tok[1]) != 0) return -1;
    }
    p->gpu = &n->models[index];
    p->block = BLOCK_MODEL;
    return 0;
  }
  if (strcmp(key, "gpu") == 0) {
    unsigned index;
    if (expect_args(p, tok, count, 2) != 0 || parse_u32(p, key, tok[1], &index) != 0) return -1;
    if (index >= MOCK_MAX_GPUS) return fail(p, key, "index %u is not below %d", index, MOCK_MAX_GPUS);
    mock_gpu *g = &n->gpus[index];
    if (!g->defined) {
      memset(g, 0, sizeof *g);
      g->defined = 1;
      g->mig_table = -1;
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
  return fail(p, key, "unknown keyword at top level");
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
    if (count == MAX_TOKENS) return fail(p, tok[0], "more than %d words on one line", MAX_TOKENS);
    tok[count++] = t;
  }

  if (strcmp(tok[0], "end") == 0) {
    if (p->block == BLOCK_TOP) return fail(p, "end", "no block is open");
    if (expect_args(p, tok, count, 1) != 0) return -1;
    p->block = BLOCK_TOP;
    return 0;
  }
  switch (p->block) {
    case BLOCK_TOP:
      return parse_top(p, tok, count, restcopy);
    case BLOCK_TABLE:
      if (strcmp(tok[0], "gi-profile") == 0) return parse_gi_profile(p, tok, count);
      if (strcmp(tok[0], "memory-slices") == 0 || strcmp(tok[0], "compute-slices") == 0) {
        unsigned v;
        if (expect_args(p, tok, count, 2) != 0 || parse_u32(p, tok[0], tok[1], &v) != 0) return -1;
        if (v == 0 || v > 32) return fail(p, tok[0], "%u is outside 1..32", v);
        *(tok[0][0] == 'm' ? &p->table->memory_slices : &p->table->compute_slices) = v;
        return 0;
      }
      return fail(p, tok[0], "unknown field in mig-table");
    case BLOCK_MODEL:
      return parse_gpu_field(p, p->gpu, tok, count, restcopy);
    case BLOCK_GPU:
      if (strcmp(tok[0], "model") == 0) {
        if (expect_args(p, tok, count, 2) != 0) return -1;
        int m = find_model(p->node, tok[1]);
        if (m < 0) return fail(p, "model", "no model named '%s' is defined above", tok[1]);
        unsigned line = p->gpu->line;
        *p->gpu = p->node->models[m];
        p->gpu->line = line;
        p->gpu->defined = 1;
        return 0;
      }
      if (strcmp(tok[0], "gpu-instance") == 0 || strcmp(tok[0], "compute-instance") == 0)
        return parse_instance(p, tok, count);
      if (strcmp(tok[0], "clear-instances") == 0) {
        if (expect_args(p, tok, count, 1) != 0) return -1;
        clear_instances(p->node, p->gpu_index);
        return 0;
      }
      return parse_gpu_field(p, p->gpu, tok, count, restcopy);
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
  if (rc == 0 && p->block != BLOCK_TOP) rc = fail(p, "end", "block not closed at end of file");
  free(line);
  fclose(f);
  p->file = outer_file;
  p->line = outer_line;
  return rc;
}

static int at(parser *p, unsigned line, const char *field, const char *what) {
  p->line = line;
  return fail(p, field, "%s", what);
}

/* Cross-line rules: complete GPUs, unique identities, and initial MIG instances that real MIG accepts. */
static int validate(parser *p) {
  mock_node *n = p->node;
  char what[256];
  for (unsigned i = 0; i < n->gpu_count; i++) {
    const mock_gpu *g = &n->gpus[i];
    if (!g->defined) {
      snprintf(what, sizeof what, "GPU %u is missing while GPU %u exists (indices must be 0..N-1)", i, n->gpu_count - 1);
      p->line = 0;
      return fail(p, "gpu", "%s", what);
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
    return fail(p, "gpu-lost", "GPU %d does not exist", n->lost_gpu);
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
  return validate(&p);
}
