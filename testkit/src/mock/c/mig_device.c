/*
 * MIG device handles: one per compute instance, enumerated per parent GPU in (GPU instance id,
 * compute instance id) order, so index i is dense from 0 to the number of MIG devices - 1.
 */
#include <stdlib.h>

#include "mock.h"

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  const mock_mig_table *table = mock_table_of(mock_gpu_of(device));
  /* A GPU without MIG can hold no MIG device; NVML answers 0 rather than an error. */
  *count = table == NULL ? 0 : table->compute_slices;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                             nvmlDevice_t *migDevice) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (migDevice == NULL || device->is_mig) return NVML_ERROR_INVALID_ARGUMENT;
  const mock_gpu *gpu = mock_gpu_of(device);
  const mock_mig_table *table = mock_table_of(gpu);
  if (table == NULL) return NVML_ERROR_NOT_SUPPORTED;
  if (index >= table->compute_slices) return NVML_ERROR_INVALID_ARGUMENT;
  if (gpu->mig_current != NVML_DEVICE_MIG_ENABLE) return NVML_ERROR_NOT_FOUND;
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  rc = mock_state_read(state);
  if (rc == NVML_SUCCESS) {
    rc = NVML_ERROR_NOT_FOUND;
    unsigned seen = 0;
    for (unsigned i = 0; i < MOCK_MAX_GI && rc == NVML_ERROR_NOT_FOUND; i++) {
      for (unsigned c = 0; c < MOCK_MAX_CI && rc == NVML_ERROR_NOT_FOUND; c++) {
        if (!state->ci[device->gpu][i][c].used) continue;
        if (seen++ == index) {
          *migDevice = mock_mig_handle(device->gpu, i, c);
          rc = NVML_SUCCESS;
        }
      }
    }
  }
  free(state);
  return rc;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t migDevice, nvmlDevice_t *device) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(migDevice);
  if (rc != NVML_SUCCESS) return rc;
  if (device == NULL || !migDevice->is_mig) return NVML_ERROR_INVALID_ARGUMENT;
  *device = mock_gpu_handle(migDevice->gpu);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int *id) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (id == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (!device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  *id = device->gi;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int *id) {
  MOCK_ENTER();
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (id == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (!device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  *id = device->ci;
  return NVML_SUCCESS;
}
