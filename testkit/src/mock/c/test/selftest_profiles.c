/* Every shipped profile, read back through NVML: devices, identities, memory, PCI, MIG tables
   (against NVIDIA's published figures, transcribed here independently of the profile files),
   placements and the MIG devices the profile seeds. */
#include <stdio.h>
#include <string.h>

#include "check.h"

typedef struct {
  unsigned enum_index, id;
  const char *name;
  unsigned slices;
  unsigned long long memory_mib;
  unsigned sm, ce, dec, enc, jpeg, ofa, instances;
  const char *placements;
} gi_row;

static const gi_row A100_80GB[] = {
    {0, 19, "1g.10gb", 1, 9728, 14, 1, 0, 0, 0, 0, 7, "0:1,1:1,2:1,3:1,4:1,5:1,6:1"},
    {7, 20, "1g.10gb+me", 1, 9728, 14, 1, 1, 0, 1, 1, 1, "0:1,1:1,2:1,3:1,4:1,5:1,6:1"},
    {9, 15, "1g.20gb", 1, 19968, 14, 1, 1, 0, 0, 0, 4, "0:2,2:2,4:2,6:2"},
    {1, 14, "2g.20gb", 2, 19968, 28, 2, 1, 0, 0, 0, 3, "0:2,2:2,4:2"},
    {2, 9, "3g.40gb", 3, 40192, 42, 3, 2, 0, 0, 0, 2, "0:4,4:4"},
    {3, 5, "4g.40gb", 4, 40192, 56, 4, 2, 0, 0, 0, 1, "0:4"},
    {4, 0, "7g.80gb", 7, 81152, 98, 7, 5, 0, 1, 1, 1, "0:8"},
};

static const gi_row H100_80GB[] = {
    {0, 19, "1g.10gb", 1, 9984, 16, 1, 1, 0, 1, 0, 7, "0:1,1:1,2:1,3:1,4:1,5:1,6:1"},
    {7, 20, "1g.10gb+me", 1, 9984, 16, 1, 1, 0, 1, 1, 1, "0:1,1:1,2:1,3:1,4:1,5:1,6:1"},
    {9, 15, "1g.20gb", 1, 20096, 26, 1, 1, 0, 1, 0, 4, "0:2,2:2,4:2,6:2"},
    {1, 14, "2g.20gb", 2, 20096, 32, 2, 2, 0, 2, 0, 3, "0:2,2:2,4:2"},
    {2, 9, "3g.40gb", 3, 40448, 60, 3, 3, 0, 3, 0, 2, "0:4,4:4"},
    {3, 5, "4g.40gb", 4, 40448, 64, 4, 4, 0, 4, 0, 1, "0:4"},
    {4, 0, "7g.80gb", 7, 81152, 132, 8, 7, 0, 7, 1, 1, "0:8"},
};

typedef struct {
  const char *name;
  nvmlDeviceArchitecture_t arch;
  int cc_major, cc_minor;
  unsigned long long memory_mib;
  const gi_row *table;
} model;

static const model A100 = {"NVIDIA A100-SXM4-80GB", NVML_DEVICE_ARCH_AMPERE, 8, 0, 81920, A100_80GB};
static const model H100 = {"NVIDIA H100 80GB HBM3", NVML_DEVICE_ARCH_HOPPER, 9, 0, 81559, H100_80GB};
static const model L4 = {"NVIDIA L4", NVML_DEVICE_ARCH_ADA, 8, 9, 23034, NULL};

typedef struct {
  const char *profile;
  unsigned count;
  const model *models[8];
  unsigned mig_current[8], mig_pending[8], mig_devices[8];
} node;

static const node NODES[] = {
    {"a100-8x", 8, {&A100, &A100, &A100, &A100, &A100, &A100, &A100, &A100},
     {1, 1, 1, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 0, 0, 0, 0}, {4, 4, 0, 0, 0, 0, 0, 0}},
    {"h100-8x", 8, {&H100, &H100, &H100, &H100, &H100, &H100, &H100, &H100},
     {0, 0, 0, 0, 0, 0, 1, 1}, {0, 0, 0, 0, 0, 0, 1, 1}, {0, 0, 0, 0, 0, 0, 0, 2}},
    {"l4-1x", 1, {&L4}, {0}, {0}, {0}},
    {"mixed", 5, {&A100, &A100, &H100, &H100, &L4}, {1, 0, 1, 0, 0}, {1, 0, 1, 0, 0}, {2, 0, 0, 0, 0}},
};

static int is_uuid(const char *u, const char *prefix) {
  size_t p = strlen(prefix);
  if (strncmp(u, prefix, p) != 0 || strlen(u) != p + 36) return 0;
  for (size_t i = 0; i < 36; i++) {
    char c = u[p + i];
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return 1;
}

static void check_mig_table(nvmlDevice_t dev, const gi_row *table, const char *where) {
  for (unsigned r = 0; r < 7; r++) {
    const gi_row *e = &table[r];
    nvmlGpuInstanceProfileInfo_t v1;
    CHECK_RC(nvmlDeviceGetGpuInstanceProfileInfo(dev, e->enum_index, &v1), NVML_SUCCESS);
    CHECK(v1.id == e->id && v1.sliceCount == e->slices && v1.memorySizeMB == e->memory_mib &&
              v1.multiprocessorCount == e->sm && v1.copyEngineCount == e->ce && v1.decoderCount == e->dec &&
              v1.encoderCount == e->enc && v1.jpegCount == e->jpeg && v1.ofaCount == e->ofa &&
              v1.instanceCount == e->instances,
          "%s: profile %s differs from NVIDIA's table", where, e->name);
    nvmlGpuInstanceProfileInfo_v3_t v3 = {.version = nvmlGpuInstanceProfileInfo_v3};
    CHECK_RC(nvmlDeviceGetGpuInstanceProfileInfoV(dev, e->enum_index, (nvmlGpuInstanceProfileInfo_v2_t *)&v3),
             NVML_SUCCESS);
    char expected_name[64];
    snprintf(expected_name, sizeof expected_name, "MIG %s", e->name);
    CHECK_STR(v3.name, expected_name);
    CHECK(v3.id == e->id && v3.memorySizeMB == e->memory_mib, "%s: v3 %s", where, e->name);
    nvmlGpuInstanceProfileInfo_v2_t v2 = {.version = nvmlGpuInstanceProfileInfo_v2};
    CHECK_RC(nvmlDeviceGetGpuInstanceProfileInfoV(dev, e->enum_index, &v2), NVML_SUCCESS);
    CHECK(v2.multiprocessorCount == e->sm && strcmp(v2.name, expected_name) == 0, "%s: v2 %s", where, e->name);

    unsigned count = 0;
    CHECK_RC(nvmlDeviceGetGpuInstancePossiblePlacements_v2(dev, e->id, NULL, &count), NVML_SUCCESS);
    nvmlGpuInstancePlacement_t placements[8];
    unsigned small = count - 1;
    CHECK_RC(nvmlDeviceGetGpuInstancePossiblePlacements_v2(dev, e->id, placements, &small),
             NVML_ERROR_INSUFFICIENT_SIZE);
    CHECK_RC(nvmlDeviceGetGpuInstancePossiblePlacements_v2(dev, e->id, placements, &count), NVML_SUCCESS);
    char text[128] = "";
    for (unsigned i = 0; i < count; i++) {
      char item[16];
      snprintf(item, sizeof item, "%s%u:%u", i ? "," : "", placements[i].start, placements[i].size);
      strcat(text, item);
    }
    CHECK(strcmp(text, e->placements) == 0, "%s: %s placements %s, expected %s", where, e->name, text, e->placements);
  }
  nvmlGpuInstanceProfileInfo_t unused;
  CHECK_RC(nvmlDeviceGetGpuInstanceProfileInfo(dev, NVML_GPU_INSTANCE_PROFILE_6_SLICE, &unused),
           NVML_ERROR_NOT_SUPPORTED);
}

static unsigned check_mig_devices(nvmlDevice_t dev, const model *m, const char *where) {
  unsigned max = 0, found = 0;
  CHECK_RC(nvmlDeviceGetMaxMigDeviceCount(dev, &max), NVML_SUCCESS);
  CHECK(max == 7, "%s: max MIG devices %u", where, max);
  for (unsigned i = 0; i < max; i++) {
    nvmlDevice_t mig;
    nvmlReturn_t rc = nvmlDeviceGetMigDeviceHandleByIndex(dev, i, &mig);
    if (rc == NVML_ERROR_NOT_FOUND) continue;
    CHECK_RC(rc, NVML_SUCCESS);
    if (rc != NVML_SUCCESS) continue;
    found++;
    unsigned is_mig = 0, gi_id, ci_id;
    CHECK_RC(nvmlDeviceIsMigDeviceHandle(mig, &is_mig), NVML_SUCCESS);
    CHECK(is_mig == 1, "%s: MIG handle not flagged", where);
    char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE], name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    CHECK_RC(nvmlDeviceGetUUID(mig, uuid, sizeof uuid), NVML_SUCCESS);
    CHECK(is_uuid(uuid, "MIG-"), "%s: MIG UUID '%s'", where, uuid);
    nvmlDevice_t again, parent;
    CHECK_RC(nvmlDeviceGetHandleByUUID(uuid, &again), NVML_SUCCESS);
    CHECK(again == mig, "%s: handle by MIG UUID differs", where);
    CHECK_RC(nvmlDeviceGetDeviceHandleFromMigDeviceHandle(mig, &parent), NVML_SUCCESS);
    CHECK(parent == dev, "%s: parent handle differs", where);
    CHECK_RC(nvmlDeviceGetName(mig, name, sizeof name), NVML_SUCCESS);
    CHECK(strncmp(name, m->name, strlen(m->name)) == 0 && strstr(name, " MIG ") != NULL, "%s: MIG name '%s'", where, name);
    CHECK_RC(nvmlDeviceGetGpuInstanceId(mig, &gi_id), NVML_SUCCESS);
    CHECK_RC(nvmlDeviceGetComputeInstanceId(mig, &ci_id), NVML_SUCCESS);
    nvmlGpuInstance_t gi;
    nvmlGpuInstanceInfo_t gi_info;
    CHECK_RC(nvmlDeviceGetGpuInstanceById(dev, gi_id, &gi), NVML_SUCCESS);
    CHECK_RC(nvmlGpuInstanceGetInfo(gi, &gi_info), NVML_SUCCESS);
    nvmlMemory_v2_t mem = {.version = nvmlMemory_v2};
    CHECK_RC(nvmlDeviceGetMemoryInfo_v2(mig, &mem), NVML_SUCCESS);
    unsigned long long profile_mib = 0;
    for (unsigned r = 0; r < 7; r++) {
      if (m->table[r].id == gi_info.profileId) profile_mib = m->table[r].memory_mib;
    }
    CHECK(mem.total == profile_mib * 1024 * 1024, "%s: MIG memory %llu for GI profile %u", where, mem.total,
          gi_info.profileId);
    nvmlComputeInstance_t ci;
    nvmlComputeInstanceInfo_t ci_info;
    CHECK_RC(nvmlGpuInstanceGetComputeInstanceById(gi, ci_id, &ci), NVML_SUCCESS);
    CHECK_RC(nvmlComputeInstanceGetInfo_v2(ci, &ci_info), NVML_SUCCESS);
    CHECK(ci_info.device == dev && ci_info.gpuInstance == gi && ci_info.id == ci_id, "%s: CI info", where);
    unsigned minor;
    CHECK_RC(nvmlDeviceGetMinorNumber(mig, &minor), NVML_ERROR_NOT_SUPPORTED);
  }
  return found;
}

static void check_node(const node *n) {
  CHECK_RC(use_profile(n->profile), NVML_SUCCESS);
  char text[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
  CHECK_RC(nvmlSystemGetDriverVersion(text, sizeof text), NVML_SUCCESS);
  CHECK_STR(text, "550.54.15");
  CHECK_RC(nvmlSystemGetDriverVersion(text, 4), NVML_ERROR_INSUFFICIENT_SIZE);
  CHECK_RC(nvmlSystemGetNVMLVersion(text, sizeof text), NVML_SUCCESS);
  CHECK_STR(text, "12.550.54.15");
  int cuda = 0;
  CHECK_RC(nvmlSystemGetCudaDriverVersion_v2(&cuda), NVML_SUCCESS);
  CHECK(cuda == 12040, "CUDA driver version %d", cuda);

  unsigned count = 0, mig_total = 0;
  CHECK_RC(nvmlDeviceGetCount_v2(&count), NVML_SUCCESS);
  CHECK(count == n->count, "%s: %u GPUs, expected %u", n->profile, count, n->count);
  nvmlDevice_t none;
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(count, &none), NVML_ERROR_INVALID_ARGUMENT);
  char uuids[8][NVML_DEVICE_UUID_V2_BUFFER_SIZE];
  unsigned minors[8];
  for (unsigned i = 0; i < count && i < 8; i++) {
    const model *m = n->models[i];
    char where[64];
    snprintf(where, sizeof where, "%s GPU %u", n->profile, i);
    nvmlDevice_t dev, by_uuid;
    CHECK_RC(nvmlDeviceGetHandleByIndex_v2(i, &dev), NVML_SUCCESS);
    unsigned index = 99;
    CHECK_RC(nvmlDeviceGetIndex(dev, &index), NVML_SUCCESS);
    CHECK(index == i, "%s: index %u", where, index);
    CHECK_RC(nvmlDeviceGetUUID(dev, uuids[i], sizeof uuids[i]), NVML_SUCCESS);
    CHECK(is_uuid(uuids[i], "GPU-"), "%s: UUID '%s'", where, uuids[i]);
    CHECK_RC(nvmlDeviceGetUUID(dev, text, 10), NVML_ERROR_INSUFFICIENT_SIZE);
    CHECK_RC(nvmlDeviceGetHandleByUUID(uuids[i], &by_uuid), NVML_SUCCESS);
    CHECK(by_uuid == dev, "%s: handle by UUID differs", where);
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    CHECK_RC(nvmlDeviceGetName(dev, name, sizeof name), NVML_SUCCESS);
    CHECK_STR(name, m->name);
    nvmlBrandType_t brand;
    CHECK_RC(nvmlDeviceGetBrand(dev, &brand), NVML_SUCCESS);
    CHECK(brand == NVML_BRAND_NVIDIA, "%s: brand %d", where, (int)brand);
    nvmlDeviceArchitecture_t arch;
    CHECK_RC(nvmlDeviceGetArchitecture(dev, &arch), NVML_SUCCESS);
    CHECK(arch == m->arch, "%s: architecture %u", where, arch);
    int major, minor;
    CHECK_RC(nvmlDeviceGetCudaComputeCapability(dev, &major, &minor), NVML_SUCCESS);
    CHECK(major == m->cc_major && minor == m->cc_minor, "%s: CC %d.%d", where, major, minor);
    nvmlMemory_t mem1;
    nvmlMemory_v2_t mem2 = {.version = nvmlMemory_v2};
    CHECK_RC(nvmlDeviceGetMemoryInfo(dev, &mem1), NVML_SUCCESS);
    CHECK_RC(nvmlDeviceGetMemoryInfo_v2(dev, &mem2), NVML_SUCCESS);
    CHECK(mem1.total == m->memory_mib << 20 && mem2.total == mem1.total && mem1.free + mem1.used == mem1.total &&
              mem2.free + mem2.used + mem2.reserved == mem2.total,
          "%s: memory", where);
    nvmlPciInfo_t pci;
    CHECK_RC(nvmlDeviceGetPciInfo_v3(dev, &pci), NVML_SUCCESS);
    char bus_id[32], legacy[16];
    snprintf(bus_id, sizeof bus_id, "%08X:%02X:%02X.0", pci.domain, pci.bus, pci.device);
    snprintf(legacy, sizeof legacy, "%04X:%02X:%02X.0", pci.domain, pci.bus, pci.device);
    CHECK_STR(pci.busId, bus_id);
    CHECK_STR(pci.busIdLegacy, legacy);
    nvmlDevice_t by_bus;
    CHECK_RC(nvmlDeviceGetHandleByPciBusId_v2(pci.busId, &by_bus), NVML_SUCCESS);
    CHECK(by_bus == dev, "%s: handle by PCI bus id differs", where);
    CHECK_RC(nvmlDeviceGetHandleByPciBusId_v2(pci.busIdLegacy, &by_bus), NVML_SUCCESS);
    CHECK(by_bus == dev, "%s: handle by legacy PCI bus id differs", where);
    CHECK((pci.pciDeviceId & 0xffff) == 0x10de, "%s: PCI vendor of %08x", where, pci.pciDeviceId);
    CHECK_RC(nvmlDeviceGetMinorNumber(dev, &minors[i]), NVML_SUCCESS);
    for (unsigned j = 0; j < i; j++) {
      CHECK(strcmp(uuids[i], uuids[j]) != 0 && minors[i] != minors[j], "%s: same UUID or minor as GPU %u", where, j);
    }
    unsigned current = 9, pending = 9, is_mig = 9;
    CHECK_RC(nvmlDeviceIsMigDeviceHandle(dev, &is_mig), NVML_SUCCESS);
    CHECK(is_mig == 0, "%s: GPU flagged as MIG device", where);
    if (m->table == NULL) {
      unsigned max = 9;
      nvmlGpuInstanceProfileInfo_t info;
      CHECK_RC(nvmlDeviceGetMigMode(dev, &current, &pending), NVML_ERROR_NOT_SUPPORTED);
      CHECK_RC(nvmlDeviceGetGpuInstanceProfileInfo(dev, 0, &info), NVML_ERROR_NOT_SUPPORTED);
      CHECK_RC(nvmlDeviceGetMaxMigDeviceCount(dev, &max), NVML_SUCCESS);
      CHECK(max == 0, "%s: non-MIG GPU reports %u MIG devices", where, max);
      continue;
    }
    CHECK_RC(nvmlDeviceGetMigMode(dev, &current, &pending), NVML_SUCCESS);
    CHECK(current == n->mig_current[i] && pending == n->mig_pending[i], "%s: MIG mode %u/%u", where, current, pending);
    check_mig_table(dev, m->table, where);
    unsigned found = check_mig_devices(dev, m, where);
    CHECK(found == n->mig_devices[i], "%s: %u MIG devices, expected %u", where, found, n->mig_devices[i]);
    mig_total += found;
    if (!current) {
      unsigned remaining;
      nvmlGpuInstance_t gi;
      CHECK_RC(nvmlDeviceGetGpuInstanceRemainingCapacity(dev, 19, &remaining), NVML_ERROR_NOT_SUPPORTED);
      CHECK_RC(nvmlDeviceCreateGpuInstance(dev, 19, &gi), NVML_ERROR_NOT_SUPPORTED);
    }
  }
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  report("profile %-8s %u GPUs, %u MIG devices, identities, memory, PCI ids, MIG modes and tables as published\n",
         n->profile, count, mig_total);
}

void check_profiles(void) {
  for (unsigned i = 0; i < sizeof NODES / sizeof NODES[0]; i++) check_node(&NODES[i]);
}
