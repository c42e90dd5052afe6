/*
 * Device enumeration and per-device queries, answered for full GPUs from the profile and for MIG
 * devices from their GPU instance's profile and the shared MIG state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define MIB (1024ULL * 1024ULL)

/* What a MIG device handle stands for right now. */
typedef struct {
  const mock_gi_profile *gi_profile;
  nvmlComputeInstanceProfileInfo_v2_t ci_profile;
  unsigned serial;
} mig_view;

static nvmlReturn_t view_mig(nvmlDevice_t device, mig_view *view) {
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  nvmlReturn_t rc = mock_state_read(state);
  if (rc == NVML_SUCCESS) {
    const mock_instance *gi = &state->gi[device->gpu][device->gi];
    const mock_instance *ci = &state->ci[device->gpu][device->gi][device->ci];
    if (!gi->used || !ci->used) {
      rc = NVML_ERROR_INVALID_ARGUMENT;
    } else {
      view->gi_profile = &mock_table_of(mock_gpu_of(device))->profiles[gi->profile_index];
      mock_ci_profile_info(view->gi_profile, ci->profile_index, &view->ci_profile);
      view->serial = ci->serial;
    }
  }
  free(state);
  return rc;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
  MOCK_ENTER();
  if (deviceCount == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *deviceCount = mock_g_node->gpu_count;
  return NVML_SUCCESS;
}

/* Succeeds for a lost GPU too, so that callers can tell which index fails. */
MOCK_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  MOCK_ENTER();
  if (device == NULL || index >= mock_g_node->gpu_count) return NVML_ERROR_INVALID_ARGUMENT;
  *device = mock_gpu_handle(index);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device) {
  MOCK_ENTER();
  if (uuid == NULL || device == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  const mock_node *n = mock_g_node;
  for (unsigned g = 0; g < n->gpu_count; g++) {
    if (strcmp(n->gpus[g].uuid, uuid) == 0) {
      if (mock_gpu_lost(g)) return NVML_ERROR_GPU_IS_LOST;
      *device = mock_gpu_handle(g);
      return NVML_SUCCESS;
    }
  }
  if (strncmp(uuid, "MIG-", 4) != 0) return NVML_ERROR_NOT_FOUND;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  nvmlReturn_t rc = mock_state_read(state);
  if (rc == NVML_SUCCESS) rc = NVML_ERROR_NOT_FOUND;
  for (unsigned g = 0; rc == NVML_ERROR_NOT_FOUND && g < n->gpu_count; g++) {
    if (mock_gpu_lost(g)) continue;
    for (unsigned i = 0; i < MOCK_MAX_GI; i++) {
      for (unsigned c = 0; c < MOCK_MAX_CI; c++) {
        if (!state->ci[g][i][c].used) continue;
        char candidate[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
        mock_mig_uuid(&n->gpus[g], state->ci[g][i][c].serial, candidate, sizeof candidate);
        if (strcmp(candidate, uuid) == 0) {
          *device = mock_mig_handle(g, i, c);
          rc = NVML_SUCCESS;
        }
      }
    }
  }
  free(state);
  return rc;
}

/* Accepts both NVML forms ("00000000:07:00.0" and "0000:07:00.0"), in either case. */
MOCK_EXPORT nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *pciBusId, nvmlDevice_t *device) {
  MOCK_ENTER();
  if (pciBusId == NULL || device == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned domain, bus, slot, function;
  int used = 0;
  if (sscanf(pciBusId, "%8x:%2x:%2x.%1x%n", &domain, &bus, &slot, &function, &used) != 4 || pciBusId[used] != '\0')
    return NVML_ERROR_INVALID_ARGUMENT;
  const mock_node *n = mock_g_node;
  for (unsigned g = 0; g < n->gpu_count; g++) {
    const mock_gpu *gpu = &n->gpus[g];
    if (gpu->pci_domain == domain && gpu->pci_bus == bus && gpu->pci_device == slot && function == 0) {
      if (mock_gpu_lost(g)) return NVML_ERROR_GPU_IS_LOST;
      *device = mock_gpu_handle(g);
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (index == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  *index = device->gpu;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (!device->is_mig) return mock_copy_string(uuid, length, mock_gpu_of(device)->uuid);
  mig_view view;
  if ((rc = view_mig(device, &view)) != NVML_SUCCESS) return rc;
  char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
  mock_mig_uuid(mock_gpu_of(device), view.serial, text, sizeof text);
  return mock_copy_string(uuid, length, text);
}

/* MIG devices are named "<GPU name> MIG <compute instance profile>", e.g. "NVIDIA A100-SXM4-80GB MIG 3g.40gb". */
MOCK_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (!device->is_mig) return mock_copy_string(name, length, mock_gpu_of(device)->name);
  mig_view view;
  if ((rc = view_mig(device, &view)) != NVML_SUCCESS) return rc;
  char text[2 * NVML_DEVICE_NAME_V2_BUFFER_SIZE + 8];
  snprintf(text, sizeof text, "%s MIG %s", mock_gpu_of(device)->name, view.ci_profile.name);
  return mock_copy_string(name, length, text);
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetBrand(nvmlDevice_t device, nvmlBrandType_t *type) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (type == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *type = (nvmlBrandType_t)mock_gpu_of(device)->brand;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device, nvmlDeviceArchitecture_t *arch) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (arch == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *arch = mock_gpu_of(device)->architecture;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (major == NULL || minor == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *major = mock_gpu_of(device)->cc_major;
  *minor = mock_gpu_of(device)->cc_minor;
  return NVML_SUCCESS;
}

/* total and reserved in bytes; nothing runs on a mock GPU, so only the reservation is used. */
static nvmlReturn_t memory_of(nvmlDevice_t device, unsigned long long *total, unsigned long long *reserved) {
  if (!device->is_mig) {
    *total = mock_gpu_of(device)->memory_mib * MIB;
    *reserved = mock_gpu_of(device)->reserved_mib * MIB;
    return NVML_SUCCESS;
  }
  mig_view view;
  nvmlReturn_t rc = view_mig(device, &view);
  if (rc != NVML_SUCCESS) return rc;
  *total = view.gi_profile->memory_mib * MIB;
  *reserved = 0;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (memory == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned long long total, reserved;
  if ((rc = memory_of(device, &total, &reserved)) != NVML_SUCCESS) return rc;
  /* v1 counts the reservation as used. */
  memory->total = total;
  memory->used = reserved;
  memory->free = total - reserved;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (memory == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (memory->version != nvmlMemory_v2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  unsigned long long total, reserved;
  if ((rc = memory_of(device, &total, &reserved)) != NVML_SUCCESS) return rc;
  memory->total = total;
  memory->reserved = reserved;
  memory->used = 0;
  memory->free = total - reserved;
  return NVML_SUCCESS;
}

/* MIG devices report their parent's PCI location. Bus ids use upper-case hex like the real library. */
MOCK_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (pci == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  const mock_gpu *g = mock_gpu_of(device);
  memset(pci, 0, sizeof *pci);
  snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04X:%02X:%02X.0", g->pci_domain & 0xffff, g->pci_bus,
           g->pci_device);
  snprintf(pci->busId, sizeof pci->busId, "%08X:%02X:%02X.0", g->pci_domain, g->pci_bus, g->pci_device);
  pci->domain = g->pci_domain;
  pci->bus = g->pci_bus;
  pci->device = g->pci_device;
  pci->pciDeviceId = g->pci_device_id;
  pci->pciSubSystemId = g->pci_subsystem_id;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minorNumber) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (minorNumber == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  *minorNumber = mock_gpu_of(device)->minor;
  return NVML_SUCCESS;
}

/* MIG devices only: their compute instance's share of the GPU instance (engines are shared). Full
   GPUs answer NOT_SUPPORTED, since a profile does not describe their SM count. */
MOCK_EXPORT nvmlReturn_t nvmlDeviceGetAttributes_v2(nvmlDevice_t device, nvmlDeviceAttributes_t *attributes) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (attributes == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (!device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  mig_view view;
  if ((rc = view_mig(device, &view)) != NVML_SUCCESS) return rc;
  *attributes = (nvmlDeviceAttributes_t){view.ci_profile.multiprocessorCount, view.ci_profile.sharedCopyEngineCount,
                                         view.ci_profile.sharedDecoderCount,  view.ci_profile.sharedEncoderCount,
                                         view.ci_profile.sharedJpegCount,     view.ci_profile.sharedOfaCount,
                                         view.gi_profile->slices,             view.ci_profile.sliceCount,
                                         view.gi_profile->memory_mib};
  return NVML_SUCCESS;
}
