/* Field lines of gpu and model blocks, and gi-profile lines of mig-table blocks. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "profile_parse.h"

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
  return profile_fail(p, field, "unknown value '%s'", text);
}

static int parse_mode(parser *p, const char *field, const char *text, unsigned *out) {
  if (strcmp(text, "enabled") == 0) {
    *out = NVML_DEVICE_MIG_ENABLE;
  } else if (strcmp(text, "disabled") == 0) {
    *out = NVML_DEVICE_MIG_DISABLE;
  } else {
    return profile_fail(p, field, "expected 'enabled' or 'disabled', found '%s'", text);
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

int profile_gpu_field(parser *p, mock_gpu *gpu, char **tok, int count, const char *rest) {
  const char *key = tok[0];
  if (strcmp(key, "name") == 0) return profile_text(p, key, gpu->name, sizeof gpu->name, rest);
  if (strcmp(key, "uuid") == 0) {
    if (profile_args(p, tok, count, 2) != 0) return -1;
    if (!valid_gpu_uuid(tok[1])) return profile_fail(p, key, "'%s' is not of the form GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", tok[1]);
    return profile_text(p, key, gpu->uuid, sizeof gpu->uuid, tok[1]);
  }
  if (profile_args(p, tok, count, 2) != 0) return -1;
  const char *v = tok[1];
  if (strcmp(key, "brand") == 0) return parse_named(p, key, v, BRANDS, sizeof BRANDS / sizeof BRANDS[0], &gpu->brand);
  if (strcmp(key, "architecture") == 0)
    return parse_named(p, key, v, ARCHITECTURES, sizeof ARCHITECTURES / sizeof ARCHITECTURES[0], &gpu->architecture);
  if (strcmp(key, "compute-capability") == 0) {
    int major, minor, used = 0;
    if (sscanf(v, "%d.%d%n", &major, &minor, &used) != 2 || v[used] != '\0' || major < 1 || minor < 0)
      return profile_fail(p, key, "expected MAJOR.MINOR, found '%s'", v);
    gpu->cc_major = major;
    gpu->cc_minor = minor;
    return 0;
  }
  if (strcmp(key, "memory-mib") == 0) return profile_uint(p, key, v, 1ULL << 32, &gpu->memory_mib);
  if (strcmp(key, "reserved-mib") == 0) return profile_uint(p, key, v, 1ULL << 32, &gpu->reserved_mib);
  if (strcmp(key, "pci-bus-id") == 0) {
    unsigned domain, bus, device, function;
    int used = 0;
    if (sscanf(v, "%8x:%2x:%2x.%1x%n", &domain, &bus, &device, &function, &used) != 4 || v[used] != '\0' ||
        strlen(v) != 16 || device > 31 || function != 0)
      return profile_fail(p, key, "expected DDDDDDDD:BB:DD.0 in hex, found '%s'", v);
    gpu->pci_domain = domain;
    gpu->pci_bus = bus;
    gpu->pci_device = device;
    return 0;
  }
  if (strcmp(key, "pci-device-id") == 0) return profile_u32(p, key, v, &gpu->pci_device_id);
  if (strcmp(key, "pci-subsystem-id") == 0) return profile_u32(p, key, v, &gpu->pci_subsystem_id);
  if (strcmp(key, "minor") == 0) return profile_u32(p, key, v, &gpu->minor);
  if (strcmp(key, "mig-table") == 0) {
    if (strcmp(v, "none") == 0) {
      gpu->mig_table = -1;
      return 0;
    }
    int table = profile_find_table(p->node, v);
    if (table < 0) return profile_fail(p, key, "no mig-table named '%s' is defined above", v);
    gpu->mig_table = table;
    return 0;
  }
  if (strcmp(key, "pcie-root") == 0) {
    /* The kernel's name of a root complex directory in sysfs: pci<domain>:<bus>, lower-case hex. */
    int lower_hex = strlen(v) == 10 && strncmp(v, "pci", 3) == 0 && v[7] == ':';
    for (int i = 3; lower_hex && i < 10; i++) {
      if (i != 7 && !((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f'))) lower_hex = 0;
    }
    if (!lower_hex) return profile_fail(p, key, "expected pciDDDD:BB in lower-case hex, found '%s'", v);
    return profile_text(p, key, gpu->pcie_root, sizeof gpu->pcie_root, v);
  }
  if (strcmp(key, "numa-node") == 0) {
    if (strcmp(v, "-1") == 0) {
      gpu->numa_node = -1;
      return 0;
    }
    if (v[0] == '-') return profile_fail(p, key, "expected -1 or a node number, found '%s'", v);
    unsigned long long node;
    if (profile_uint(p, key, v, 1024, &node) != 0) return -1;
    gpu->numa_node = (int)node;
    return 0;
  }
  if (strcmp(key, "mig-mode") == 0) return parse_mode(p, key, v, &gpu->mig_current);
  if (strcmp(key, "mig-pending") == 0) return parse_mode(p, key, v, &gpu->mig_pending);
  return profile_fail(p, key, "unknown field");
}

static int parse_placements(parser *p, mock_gi_profile *profile, const char *text) {
  char buffer[256];
  if (profile_text(p, "placements", buffer, sizeof buffer, text) != 0) return -1;
  profile->placement_count = 0;
  for (char *save = NULL, *item = strtok_r(buffer, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
    unsigned start, size;
    int used = 0;
    if (sscanf(item, "%u:%u%n", &start, &size, &used) != 2 || item[used] != '\0' || size == 0)
      return profile_fail(p, "placements", "expected START:SIZE, found '%s'", item);
    if (profile->placement_count == MOCK_MAX_PLACEMENTS)
      return profile_fail(p, "placements", "more than %d placements", MOCK_MAX_PLACEMENTS);
    profile->placements[profile->placement_count++] = (mock_span){start, size};
  }
  if (profile->placement_count == 0) return profile_fail(p, "placements", "no placement given");
  return 0;
}

int profile_gi_profile(parser *p, char **tok, int count) {
  unsigned index;
  if (count < 2) return profile_fail(p, "gi-profile", "missing NVML profile enum index");
  if (profile_u32(p, "gi-profile", tok[1], &index) != 0) return -1;
  if (index >= NVML_GPU_INSTANCE_PROFILE_COUNT)
    return profile_fail(p, "gi-profile", "enum index %u is not below NVML_GPU_INSTANCE_PROFILE_COUNT (%d)", index,
                NVML_GPU_INSTANCE_PROFILE_COUNT);
  mock_gi_profile *g = &p->table->profiles[index];
  memset(g, 0, sizeof *g);
  static const char *const required[] = {"id", "name", "slices", "memory-mib", "sm", "ce", "dec",
                                         "enc", "jpeg", "ofa", "instances", "placements"};
  unsigned seen = 0;
  for (int i = 2; i < count; i++) {
    char *eq = strchr(tok[i], '=');
    if (eq == NULL) return profile_fail(p, tok[i], "expected KEY=VALUE");
    *eq = '\0';
    const char *key = tok[i], *value = eq + 1;
    unsigned k;
    for (k = 0; k < sizeof required / sizeof required[0]; k++) {
      if (strcmp(required[k], key) == 0) break;
    }
    if (k == sizeof required / sizeof required[0]) return profile_fail(p, key, "unknown gi-profile field");
    if (seen & (1u << k)) return profile_fail(p, key, "given twice");
    seen |= 1u << k;
    int rc = 0;
    switch (k) {
      case 0: rc = profile_u32(p, key, value, &g->id); break;
      case 1: rc = profile_text(p, key, g->name, sizeof g->name, value); break;
      case 2: rc = profile_u32(p, key, value, &g->slices); break;
      case 3: rc = profile_uint(p, key, value, 1ULL << 32, &g->memory_mib); break;
      case 4: rc = profile_u32(p, key, value, &g->sm); break;
      case 5: rc = profile_u32(p, key, value, &g->ce); break;
      case 6: rc = profile_u32(p, key, value, &g->dec); break;
      case 7: rc = profile_u32(p, key, value, &g->enc); break;
      case 8: rc = profile_u32(p, key, value, &g->jpeg); break;
      case 9: rc = profile_u32(p, key, value, &g->ofa); break;
      case 10: rc = profile_u32(p, key, value, &g->instances); break;
      default: rc = parse_placements(p, g, value); break;
    }
    if (rc != 0) return rc;
  }
  for (unsigned k = 0; k < sizeof required / sizeof required[0]; k++) {
    if (!(seen & (1u << k))) return profile_fail(p, required[k], "missing in gi-profile");
  }
  if (g->slices == 0 || g->slices > p->table->compute_slices)
    return profile_fail(p, "slices", "%u is outside 1..compute-slices (%u)", g->slices, p->table->compute_slices);
  for (unsigned i = 0; i < g->placement_count; i++) {
    if (g->placements[i].start + g->placements[i].size > p->table->memory_slices)
      return profile_fail(p, "placements", "%u:%u ends beyond memory-slices (%u)", g->placements[i].start,
                  g->placements[i].size, p->table->memory_slices);
  }
  if (g->instances == 0 || g->instances > g->placement_count)
    return profile_fail(p, "instances", "%u is outside 1..number of placements (%u)", g->instances, g->placement_count);
  for (unsigned i = 0; i < NVML_GPU_INSTANCE_PROFILE_COUNT; i++) {
    const mock_gi_profile *other = &p->table->profiles[i];
    if (i == index || !other->defined) continue;
    if (other->id == g->id) return profile_fail(p, "id", "%u is already used by %s", g->id, other->name);
    if (strcmp(other->name, g->name) == 0) return profile_fail(p, "name", "'%s' is already defined", g->name);
  }
  g->defined = 1;
  return 0;
}
